import type { PGlite } from '@electric-sql/pglite'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openDatabase } from '../db/database.ts'
import { demoIds, type DemoIds } from '../db/demo-callers.ts'
import { parseFilter, passesFilters } from './change-filters.ts'
import { resolveSubscription } from './subscriptions.ts'

let db: PGlite
let demo: DemoIds

beforeAll(async () => {
  db = await openDatabase({ seed: true })
  demo = await demoIds(db)
})
afterAll(async () => {
  await db.close()
})

describe('postgres_changes filters', () => {
  const record = () => ({
    workspace_id: demo.acme,
    contact_id: demo.contact('Priya Raman'),
    sentiment: 0.25,
    status: 'sent',
    created_at: '2026-11-24T12:00:00.5+00:00',
  })
  /** Resolves the filter against the real catalog for `role`, then matches it as delivery does. */
  async function matches(filter: string, role = 'authenticated'): Promise<boolean> {
    const result = await resolveSubscription(
      db,
      { event: '*', schema: 'public', table: 'messages', filter },
      role,
    )
    if (!result.ok) throw new Error(result.message)
    return passesFilters(result.subscription.filters.get('public.messages')!, record())
  }

  it('evaluates eq, neq, lt, lte, gt, gte, in and not. in the column type', async () => {
    expect(await matches(`workspace_id=eq.${demo.acme}`)).toBe(true)
    expect(await matches(`workspace_id=eq.${demo.acme.toUpperCase()}`)).toBe(true)
    expect(await matches(`workspace_id=eq.${demo.globex}`)).toBe(false)
    expect(await matches(`workspace_id=neq.${demo.globex}`)).toBe(true)
    expect(await matches('sentiment=lt.0.5')).toBe(true)
    expect(await matches('sentiment=lt.0.25')).toBe(false)
    expect(await matches('sentiment=lte.0.25')).toBe(true)
    expect(await matches('sentiment=gt.-1')).toBe(true)
    expect(await matches('sentiment=gte.0.3')).toBe(false)
    expect(await matches('created_at=gt.2026-11-24 12:00:00+00')).toBe(true)
    expect(await matches('created_at=lt.2026-11-24T12:00:00.6Z')).toBe(true)
    expect(
      await matches(`contact_id=in.(${demo.contact("James O'Connor")},${demo.contact('Priya Raman')})`),
    ).toBe(true)
    expect(await matches(`contact_id=in.(${demo.contact('Tom Becker')})`)).toBe(false)
    expect(await matches('status=not.eq.sent')).toBe(false)
    expect(await matches(`status=eq.sent,workspace_id=eq.${demo.globex}`)).toBe(false)
    expect(passesFilters([], null)).toBe(true)
  })

  it('refuses unknown operators, unknown columns and values of the wrong type', async () => {
    for (const [filter, message] of [
      ['status=like.s%', 'unsupported filter operator'],
      ['contact_id=in.nope', 'must be wrapped by parentheses'],
      ['sentiment=lt.abc', 'invalid input syntax'],
      ['nope=eq.1', 'invalid column for filter nope'],
      ['status', 'column=operator.value'],
    ]) {
      await expect(matches(filter!)).rejects.toThrow(message)
    }
    // anon may select no column of messages, so it cannot filter on one either.
    await expect(matches('status=eq.sent', 'anon')).rejects.toThrow('invalid column for filter status')
  })

  it('splits on top-level commas only, keeping quoted values and in() lists whole', () => {
    expect(parseFilter('note=eq."a,b",id=in.(1,2)')).toEqual({
      ok: true,
      filters: [
        { column: 'note', op: 'eq', raw: 'a,b', negate: false },
        { column: 'id', op: 'in', raw: '{1,2}', negate: false },
      ],
    })
    expect(parseFilter('a=eq.1,,b=eq.2')).toMatchObject({
      ok: false,
      message: expect.stringContaining('empty'),
    })
  })
})
