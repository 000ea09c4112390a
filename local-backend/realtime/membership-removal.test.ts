import { describe, expect, it } from 'vitest'
import { harnessPerFile, subscribe, userToken, waitFor } from './test-support.ts'

/*
 * A member removed from a workspace: their app hears of its own removal (the DELETE of
 * their membership passes RLS on the old row: members see their own memberships), and
 * from then on RLS keeps every row of the workspace from them.
 */
const harness = harnessPerFile()

describe('a removed member', () => {
  it('is told of the removal, then receives nothing more of the workspace', async () => {
    const { demo, db } = harness()
    const ben = await harness().connect(await userToken(demo.ben))
    const filter = `workspace_id=eq.${demo.acme}`
    const memberships = await subscribe(ben, 'members', {
      event: '*',
      schema: 'public',
      table: 'workspace_members',
      filter,
    })
    const messages = await subscribe(ben, 'messages', {
      event: 'INSERT',
      schema: 'public',
      table: 'messages',
      filter,
    })

    await harness().insertMessage(demo.acme, demo.contact('Maria Gonzalez'), 'before the removal')
    await waitFor(() => messages.changes.length === 1, 'the message sent before the removal')

    await db.query('delete from public.workspace_members where workspace_id = $1 and user_id = $2', [
      demo.acme,
      demo.ben,
    ])
    await waitFor(() => memberships.changes.length === 1, 'the removal')
    // As hosted Realtime sends a DELETE under RLS: the old row's key only.
    expect(memberships.changes[0]).toMatchObject({ eventType: 'DELETE', old: { id: expect.any(String) } })

    await harness().insertMessage(demo.acme, demo.contact('Maria Gonzalez'), 'after the removal')
    const ava = await harness().connect(await userToken(demo.ava))
    const witness = await subscribe(ava, 'witness', {
      event: 'INSERT',
      schema: 'public',
      table: 'messages',
      filter,
    })
    await harness().insertMessage(demo.acme, demo.contact('Maria Gonzalez'), 'seen by Ava')
    await waitFor(() => witness.changes.length === 1, 'the message Ava sees')
    console.log(`events delivered to the removed member after removal: ${messages.changes.length - 1}`)
    expect(messages.changes.map((change) => change.new.content)).toEqual(['before the removal'])
  })
})
