import { afterEach, describe, expect, it } from 'vitest'
import { Cache } from './cache.ts'
import { conversation, message, removeTempPaths, tempPath } from '../../../test/support/cache-rows.ts'

afterEach(removeTempPaths)

const main = '+15550100001'
const second = '+15550100002'

describe('a contact’s activity per workspace number', () => {
  it('counts each number’s messages each way with the first and last, and none of another contact’s', () => {
    const cache = Cache.open(tempPath())
    const tom = conversation({ name: 'Tom' })
    const other = conversation({ phoneNumber: '+15551239999' })
    cache.upsertConversation(tom)
    cache.upsertConversation(other)
    const rows = [
      { number: main, direction: 'inbound', at: '2026-11-01T09:00:00.000000Z' },
      { number: main, direction: 'outbound', at: '2026-11-02T09:00:00.000000Z' },
      { number: main, direction: 'inbound', at: '2026-11-03T09:00:00.000000Z' },
      { number: second, direction: 'outbound', at: '2026-11-04T09:00:00.000000Z' },
      { number: null, direction: 'inbound', at: '2026-10-01T09:00:00.000000Z' },
    ] as const
    for (const row of rows)
      cache.upsertMessage(
        message(tom, {
          direction: row.direction,
          workspaceNumber: row.number,
          createdAt: row.at,
          updatedAt: row.at,
        }),
      )
    cache.upsertMessage(message(other, { workspaceNumber: main }))

    expect(cache.contactActivity(tom.id)).toEqual([
      {
        workspaceNumber: null,
        messages: 1,
        received: 1,
        firstAt: '2026-10-01T09:00:00.000000Z',
        lastAt: '2026-10-01T09:00:00.000000Z',
      },
      {
        workspaceNumber: main,
        messages: 3,
        received: 2,
        firstAt: '2026-11-01T09:00:00.000000Z',
        lastAt: '2026-11-03T09:00:00.000000Z',
      },
      {
        workspaceNumber: second,
        messages: 1,
        received: 0,
        firstAt: '2026-11-04T09:00:00.000000Z',
        lastAt: '2026-11-04T09:00:00.000000Z',
      },
    ])
    expect(cache.contactActivity(conversation().id)).toEqual([])
    cache.close()
  })
})
