import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { createClient } from '@supabase/supabase-js'
import { afterEach, describe, expect, it } from 'vitest'
import { cliDemoKeys } from '../../../local-backend/cli-demo-keys.ts'
import { DEMO_PASSWORD } from '../../../relay/demo-accounts.ts'
import { embeddedChildren, theEmbeddedChild } from '../../../test/support/embedded-children.ts'
import { happenings } from '../../../test/support/happenings.ts'
import { until } from '../../../test/support/until.ts'
import type { EmbeddedServerState } from '../../shared/domain.ts'
import { createMemoryLogger } from '../../../logging/logger.ts'
import { forkService } from './fork-service.ts'
import { EmbeddedStartError } from './launcher.ts'
import { describeStartFailure, superviseEmbeddedStack, type SupervisedStack } from './supervisor.ts'

const { logger } = createMemoryLogger('supervisor-test')
const hostModule = resolve(import.meta.dirname, 'host.ts')
const cleanups: (() => Promise<void> | void)[] = []

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'supervisor-test-'))
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
  return join(dir, 'embedded-backend')
}

async function supervised(options: { maxRestarts?: number } = {}) {
  const data = dataDir()
  const stack = await superviseEmbeddedStack({
    hostModule,
    dataDir: data,
    logger,
    port: 0,
    startService: forkService,
    ...options,
  })
  cleanups.push(() => stack.stop())
  const states = happenings<EmbeddedServerState>()
  stack.onState((state) => states.push(state))
  return { stack, states, keysFile: join(dirname(data), 'embedded-backend-keys.json') }
}

const anonClient = (stack: SupervisedStack, accessToken?: string) =>
  createClient(stack.supabaseUrl, stack.publishableKey, {
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
    ...(accessToken ? { global: { headers: { Authorization: `Bearer ${accessToken}` } } } : {}),
  })

/** SIGKILLs the running child and resolves with the state the supervisor settles in. */
async function crash(stack: { states: ReturnType<typeof happenings<EmbeddedServerState>> }) {
  const since = stack.states.mark()
  const pid = theEmbeddedChild()
  process.kill(pid, 'SIGKILL')
  return stack.states.waitFor((state) => state.status !== 'restarting', 'the supervisor settled', {
    since,
    ms: 90_000,
  })
}

describe('the embedded server under its supervisor', () => {
  it('restarts a killed server on the same port, where tokens and refresh tokens issued before stay valid', async () => {
    const running = await supervised()
    // Keys of this installation, owner-only beside the data; the app is handed the publishable key alone.
    expect(statSync(running.keysFile).mode & 0o777).toBe(0o600)
    const stored = JSON.parse(readFileSync(running.keysFile, 'utf8')) as typeof cliDemoKeys
    expect(stored.jwtSecret).not.toBe(cliDemoKeys.jwtSecret)
    expect(running.stack.publishableKey).toBe(stored.publishableKeys[0])
    expect(running.stack.publishableKey).toMatch(/^sb_publishable_/)
    for (const secret of [stored.serviceRoleKey, ...stored.secretKeys])
      expect(Object.values(running.stack)).not.toContain(secret)
    const { data, error } = await anonClient(running.stack).auth.signInWithPassword({
      email: 'cleo@globex.test',
      password: DEMO_PASSWORD,
    })
    expect(error).toBeNull()
    const before = data.session!
    const first = theEmbeddedChild()

    expect(await crash(running)).toEqual({ status: 'running' })
    expect(running.states.all).toEqual([{ status: 'restarting' }, { status: 'running' }])
    expect(theEmbeddedChild()).not.toBe(first)

    // Same URL, same keys: the access token from before the crash reads as that agent.
    const members = await anonClient(running.stack, before.access_token)
      .from('workspace_members')
      .select('user_id')
    expect(members.error).toBeNull()
    expect(members.data).toEqual([{ user_id: before.user.id }])
    const refreshed = await anonClient(running.stack).auth.refreshSession({
      refresh_token: before.refresh_token,
    })
    expect(refreshed.error).toBeNull()
    expect(refreshed.data.session?.user.id).toBe(before.user.id)
  }, 180_000)

  it('stops restarting after the crash limit, and the agent can start it again', async () => {
    const running = await supervised({ maxRestarts: 1 })
    expect(await crash(running)).toEqual({ status: 'running' })
    const stopped = await crash(running)
    expect(stopped).toMatchObject({ status: 'stopped', problem: expect.stringMatching(/stopped 2 times/) })
    await until(() => embeddedChildren().length === 0, 'the crashed child reaped')
    expect(running.stack.state()).toEqual(stopped)
    expect(
      await running.stack.simulateInbound({ workspaceId: crypto.randomUUID(), from: '+1', body: 'x' }),
    ).toMatchObject({ ok: false, error: { kind: 'offline' } })

    expect(await running.stack.restart()).toEqual({ ok: true, value: null })
    expect(running.stack.state()).toEqual({ status: 'running' })
    const health = await fetch(`${running.stack.supabaseUrl}/auth/v1/health`)
    expect(health.status).toBe(200)
  }, 180_000)

  it('counts a restart that dies before it is ready as one more crash, and tries again within the budget', async () => {
    const running = await supervised({ maxRestarts: 2 })
    const first = theEmbeddedChild()
    const since = running.states.mark()
    process.kill(first, 'SIGKILL')
    await until(() => embeddedChildren().some((pid) => pid !== first), 'the restart forked')
    process.kill(
      embeddedChildren().find((pid) => pid !== first)!,
      'SIGKILL',
    )
    await running.states.waitFor((state) => state.status === 'running', 'running again', {
      since,
      ms: 90_000,
    })
    // Two crashes spent the budget of two: the next one stops the server.
    expect(await crash(running)).toMatchObject({
      status: 'stopped',
      problem: expect.stringMatching(/stopped 3 times/),
    })
  }, 180_000)

  it('never moves to another port: a taken port fails at once and names the port and how to choose another', async () => {
    const holder: Server = createServer()
    await new Promise<void>((done) => holder.listen(0, '127.0.0.1', done))
    cleanups.push(() => new Promise<void>((done) => holder.close(() => done())))
    const port = (holder.address() as { port: number }).port

    const failure = await superviseEmbeddedStack({
      hostModule,
      dataDir: dataDir(),
      logger,
      port,
      startService: forkService,
    }).then(
      () => null,
      (error: unknown) => error,
    )
    expect(failure).toBeInstanceOf(EmbeddedStartError)
    expect((failure as EmbeddedStartError).portInUse).toBe(port)
    expect(describeStartFailure(failure)).toBe(
      `Port ${port} is already in use, so the embedded server cannot start. Choose another port with --backend-port <port> or SMS_INBOX_BACKEND_PORT=<port>.`,
    )
    await until(() => embeddedChildren().length === 0, 'the child gone')
  }, 60_000)
})
