import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { postInboundSms } from '../../local-backend/twilio/inbound.ts'
import { ACME, DEMO_PASSWORD } from '../../relay/demo-accounts.ts'
import type { EventChannel, EventOf } from '../../src/shared/contract.ts'
import type { Badge, BackendSettings, DesktopNotification, Message } from '../../src/shared/domain.ts'
import { createMemoryLogger } from '../../logging/logger.ts'
import type { BackendRuntime } from '../../src/main/core/backend-runtime.ts'
import { createCoreServices, type CoreServices } from '../../src/main/core/core-services.ts'
import { createDispatcherRegistry, type Dispatch, type Handlers } from '../../src/main/core/dispatch.ts'
import type { EventListener } from '../../src/main/core/event-hub.ts'
import { refreshWorkspaces } from '../../src/main/core/workspaces-capability.ts'
import { forkService } from '../../src/main/embedded-stack/fork-service.ts'
import type { Platform } from '../../src/main/platform-interface.ts'
import { createAesSecretStore } from '../../src/main/secrets.ts'
import { happenings, type Happenings } from './happenings.ts'
import { startRelayStack, type RelayStack } from './relay-stack.ts'
import { waitForItem } from './batch-events.ts'

export interface EventRecord {
  event: EventChannel
  payload: unknown
}

/** Every event the core sends, from now on. */
export function recordEvents(source: { subscribe(listener: EventListener): () => void }) {
  const events = happenings<EventRecord>()
  source.subscribe((event, payload) => events.push({ event, payload }))
  return {
    ...events,
    /** The first `event` whose payload `accept`s (from `since` on), already sent or still to come. */
    async waitForEvent<E extends EventChannel>(
      event: E,
      accept: (payload: EventOf<E>) => boolean,
      what: string,
      options?: { since?: number; ms?: number },
    ): Promise<EventOf<E>> {
      const found = await events.waitFor(
        (record) => record.event === event && accept(record.payload as EventOf<E>),
        what,
        options,
      )
      return found.payload as EventOf<E>
    },
  }
}
export type EventRecorder = ReturnType<typeof recordEvents>

export interface TestPlatform extends Platform {
  notifications: Happenings<DesktopNotification>
  badges: Happenings<Badge>
  opened: string[]
  resume(): void
  network(online: boolean): void
}

const platformDirs: string[] = []
const { logger: fixtureLogger } = createMemoryLogger('core-fixture')

/** The host's side of the Platform, recorded: what Electron would show, and its power and network signals. */
export function testPlatform(): TestPlatform {
  const dir = mkdtempSync(join(tmpdir(), 'core-test-'))
  platformDirs.push(dir)
  const resumeListeners = new Set<() => void>()
  const networkListeners = new Set<(online: boolean) => void>()
  const notifications = happenings<DesktopNotification>()
  const badges = happenings<Badge>()
  const opened: string[] = []
  return {
    userDataDir: dir,
    appVersion: '9.9.9',
    secretStore: createAesSecretStore(randomBytes(32)),
    notifications,
    badges,
    opened,
    notify: (notification) => notifications.push(notification),
    setBadge: (badge) => badges.push(badge),
    onResume: (listener) => {
      resumeListeners.add(listener)
      return () => resumeListeners.delete(listener)
    },
    onNetworkChange: (listener) => {
      networkListeners.add(listener)
      return () => networkListeners.delete(listener)
    },
    openExternal: async (url) => {
      opened.push(url)
    },
    startService: forkService,
    resume: () => resumeListeners.forEach((listener) => listener()),
    network: (online) => networkListeners.forEach((listener) => listener(online)),
  }
}

/** Removes every test platform's data folder (afterAll). */
export function removeTestPlatforms(): void {
  for (const dir of platformDirs.splice(0)) rmSync(dir, { recursive: true, force: true })
}

/** The relay stack as the app's backend settings name it. */
export function backendOf(stack: RelayStack): BackendSettings {
  return {
    mode: 'custom',
    supabaseUrl: stack.backend.url,
    publishableKey: stack.backend.publishableKey,
    relayUrl: stack.relayUrl,
  }
}

/** A dispatcher answering only the given capabilities' channels: each capability is tested alone. */
export function dispatcherFor(services: CoreServices, ...capabilities: Partial<Handlers>[]): Dispatch {
  const dispatcher = createDispatcherRegistry(services.logger)
  for (const capability of capabilities) dispatcher.register(capability)
  return dispatcher.dispatch
}

/** The value of a successful reply; a failed one fails the test with its kind and message. */
export async function value<T>(dispatch: Dispatch, channel: string, payload: unknown): Promise<T> {
  const reply = await dispatch(channel, payload)
  if (!reply.ok) throw new Error(`${channel}: ${reply.error.kind} ${reply.error.message}`)
  return reply.value as T
}

/** Signs a seeded demo user in on the running runtime, as the session capability would, and waits for live sync. */
export async function signedInRuntime(services: CoreServices, email: string): Promise<BackendRuntime> {
  const runtime = await services.runtime.current()
  if (!runtime) throw new Error(`no runtime: ${services.runtime.problem()}`)
  const signIn = await runtime.session.signIn(email, DEMO_PASSWORD)
  if (!signIn.ok) throw new Error(signIn.error.message)
  await refreshWorkspaces(runtime, services)
  await runtime.sync.whenLive()
  return runtime
}

export interface CoreFixture {
  stack: RelayStack
  platform: TestPlatform
  services: CoreServices
  /** Answers only the capabilities under test. */
  dispatch: Dispatch
  events: EventRecorder
}

/**
 * For one describe block (`beforeAll(core.start)`, `afterAll(core.stop)`): a relay
 * stack, core services running against it, and a dispatcher for the capabilities
 * under test. `prepare` seeds the stack first; `signIn` signs that demo user in.
 */
export function coreAgainstStack(options: {
  capabilities: (services: CoreServices) => Partial<Handlers>[]
  prepare?: (stack: RelayStack) => Promise<void>
  signIn?: string
}): StartableCore {
  return startableCore(
    'the core fixture',
    async () => {
      const stack = await startRelayStack()
      await options.prepare?.(stack)
      return coreOn(stack, options.capabilities, options.signIn)
    },
    async (fixture) => {
      await fixture.services.runtime.dispose()
      await fixture.stack.stop()
    },
  )
}

/**
 * A teammate of `first`: a second core of its own (platform, cache, session) on the
 * same stack, for what one agent's change does to another's. Start it after `first`,
 * stop it before.
 */
export function teammateOf(
  first: CoreFixture,
  options: { capabilities: (services: CoreServices) => Partial<Handlers>[]; signIn: string },
): StartableCore {
  return startableCore(
    'the teammate',
    () => coreOn(first.stack, options.capabilities, options.signIn),
    (fixture) => fixture.services.runtime.dispose(),
  )
}

type StartableCore = CoreFixture & { start(): Promise<void>; stop(): Promise<void> }

/** A fixture for a describe block: `open` in beforeAll, `close` in afterAll, and its parts readable only in between. */
function startableCore(
  what: string,
  open: () => Promise<CoreFixture>,
  close: (fixture: CoreFixture) => Promise<void>,
): StartableCore {
  let fixture: CoreFixture | null = null
  const current = (): CoreFixture => {
    if (!fixture) throw new Error(`${what} is used before start() or after stop()`)
    return fixture
  }
  return {
    async start() {
      fixture = await open()
    },
    async stop() {
      if (fixture) await close(fixture)
      fixture = null
    },
    get stack() {
      return current().stack
    },
    get platform() {
      return current().platform
    },
    get services() {
      return current().services
    },
    get dispatch() {
      return current().dispatch
    },
    get events() {
      return current().events
    },
  }
}

async function coreOn(
  stack: RelayStack,
  capabilities: (services: CoreServices) => Partial<Handlers>[],
  signIn: string | undefined,
): Promise<CoreFixture> {
  const platform = testPlatform()
  const services = createCoreServices(platform, { backend: backendOf(stack), logger: fixtureLogger })
  const events = recordEvents(services.events)
  const dispatch = dispatcherFor(services, ...capabilities(services))
  try {
    if (signIn) await signedInRuntime(services, signIn)
  } catch (error) {
    await services.runtime.dispose()
    throw error
  }
  return { stack, platform, services, dispatch, events }
}

/** A customer texts Acme through the relay's signed Twilio webhook; resolves once the core has sent the message on. */
export async function customerTexts(core: CoreFixture, from: string, body: string): Promise<Message> {
  const since = core.events.mark()
  const posted = await postInboundSms({
    relayUrl: core.stack.relayUrl,
    accountSid: ACME.accountSid,
    authToken: ACME.authToken,
    to: ACME.number,
    from,
    body,
  })
  if (posted.status >= 300) throw new Error(`the relay refused the inbound SMS with ${posted.status}`)
  return waitForItem(core.events, 'messages.upserted', (m) => m.content === body, `the SMS "${body}"`, {
    since,
  })
}
