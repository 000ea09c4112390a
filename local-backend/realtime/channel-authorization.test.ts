import { describe, expect, it } from 'vitest'
import {
  contentsOf,
  heartbeat,
  manualClock,
  serviceRoleKey,
  harnessPerFile,
  subscribe,
  userToken,
  waitFor,
} from './test-support.ts'

// The server judges tokens by this clock, so a token expires when a test moves it.
const clock = manualClock()
const harness = harnessPerFile({ clock })
const demo = () => harness().demo

/** A token for `userId` issued now on the server's clock. */
const tokenFor = (
  userId: string,
  options: { expiresInSeconds?: number | null; secret?: string; role?: string } = {},
) => userToken(userId, { ...options, now: clock.now() })

/** Joins `topic` with `token`; resolves with the join error, or null once joined. */
const joinOutcome = async (token: string, topic: string, config: { private?: boolean } = {}) => {
  const client = await harness().connect(token)
  return new Promise<string | null>((resolve) => {
    client.channel(topic, { config }).subscribe((status, error) => {
      if (error) resolve(error.message)
      else if (status === 'SUBSCRIBED') resolve(null)
      else if (status === 'TIMED_OUT') resolve(`join of ${topic} timed out`)
    })
  })
}

/**
 * A channel on Ben's token whose client is then handed `token`, as a refreshed session
 * would be (the client asks its token source again on every heartbeat, so the source
 * changes with setAuth).
 */
async function channelWithTokenSwap(topic: string) {
  let session = await tokenFor(demo().ben)
  const client = await harness().connect(() => session)
  const channel = await subscribe(client, topic, { event: 'INSERT', schema: 'public', table: 'messages' })
  const swap = async (token: string) => {
    session = token
    await client.realtime.setAuth(token)
  }
  return { client, channel, swap }
}

describe('channel tokens', () => {
  it('closes the channel with the system error when its token expires', async () => {
    const acme = await subscribe(
      await harness().connect(await tokenFor(demo().ben, { expiresInSeconds: 60 })),
      'acme-expiring',
      { event: '*', schema: 'public', table: 'messages' },
    )
    clock.advance(59_000)
    // Still open a second before the expiry: a row committed now arrives.
    const text = `before expiry ${Date.now()}`
    await harness().insertMessage(demo().acme, demo().contact('Kenji Watanabe'), text)
    await waitFor(() => contentsOf(acme).includes(text), 'the row before the expiry')
    expect(acme.statuses).not.toContain('CLOSED')

    clock.advance(1_000)
    await waitFor(() => acme.statuses.includes('CLOSED'), 'the channel to close')
    const error = acme.system.find((message) => message.status === 'error')
    expect(error).toMatchObject({
      extension: 'system',
      status: 'error',
      channel: 'acme-expiring',
      message: 'Token has expired 0 seconds ago',
    })
  })

  it('refuses a join with an expired token with hosted Realtime reason', async () => {
    expect(await joinOutcome(await tokenFor(demo().ben, { expiresInSeconds: -30 }), 'acme-expired')).toBe(
      'InvalidJWTToken: Token has expired 30 seconds ago',
    )
  })

  it('refuses a token issued ahead of its clock by more than 30 s, or one without exp', async () => {
    const ahead = (seconds: number) => userToken(demo().ben, { now: clock.now() + seconds * 1000 })
    expect(await joinOutcome(await ahead(31), 'acme-future')).toBe('InvalidJWTToken: JWT issued at future')
    expect(await joinOutcome(await tokenFor(demo().ben, { expiresInSeconds: null }), 'acme-no-exp')).toBe(
      'InvalidJWTToken: Fields `role` and `exp` are required in JWT',
    )
    // Within the skew, another machine's clock a little ahead is no forgery.
    expect(await joinOutcome(await ahead(29), 'acme-skewed')).toBeNull()
  })

  it('refuses a join whose token claims a role other than anon, authenticated or service_role (hosted admits any role)', async () => {
    expect(await joinOutcome(await tokenFor(demo().ben, { role: 'postgres' }), 'acme-as-postgres')).toBe(
      'InvalidJWTToken: Field `role` must be one of anon, authenticated, service_role in JWT',
    )
  })

  it('closes a channel whose refreshed token claims the postgres role', async () => {
    const { channel: acme, swap } = await channelWithTokenSwap('acme-refresh-postgres')
    await swap(await tokenFor(demo().ben, { role: 'postgres' }))
    await waitFor(() => acme.statuses.includes('CLOSED'), 'the channel to close')
    expect(acme.system.at(-1)).toMatchObject({
      extension: 'system',
      status: 'error',
      message: 'Field `role` must be one of anon, authenticated, service_role in JWT',
    })
  })

  it('moves a channel to a new token mid-connection, and closes it on an invalid one', async () => {
    const { client, channel: acme, swap } = await channelWithTokenSwap('acme-token-swap')
    // A Globex token on the same channel: from now on it sees Globex rows, not Acme's.
    await swap(await tokenFor(demo().cleo))
    await heartbeat(client)
    // Globex's row arriving proves the server switched the claims; Acme's row after it must not.
    const globexText = `seen after swap ${Date.now()}`
    await harness().insertMessage(demo().globex, demo().contact('+15035550127'), globexText)
    await waitFor(() => contentsOf(acme).includes(globexText), 'the Globex row on the swapped token')
    const acmeText = `hidden after swap ${Date.now()}`
    await harness().insertMessage(demo().acme, demo().contact('Aisha Bello'), acmeText)
    const laterText = `later globex ${Date.now()}`
    await harness().insertMessage(demo().globex, demo().contact('+15035550127'), laterText)
    await waitFor(() => contentsOf(acme).includes(laterText), 'the later Globex row')
    expect(contentsOf(acme)).toEqual([globexText, laterText])

    await swap(await tokenFor(demo().ben, { secret: 'not-the-secret-not-the-secret-not-the-secret' }))
    await waitFor(() => acme.statuses.includes('CLOSED'), 'the channel to close')
    expect(acme.system.at(-1)).toMatchObject({
      extension: 'system',
      status: 'error',
      message: 'Failed to validate JWT signature',
    })
  })
})

describe('private channels', () => {
  it('refuses a private channel whose topic no realtime.messages policy names, and admits the service role (which bypasses RLS)', async () => {
    expect(await joinOutcome(await tokenFor(demo().ben), 'private-room', { private: true })).toBe(
      'Unauthorized: You do not have permissions to read from this Channel topic: private-room',
    )
    expect(await joinOutcome(serviceRoleKey, 'private-room', { private: true })).toBeNull()
  })
})
