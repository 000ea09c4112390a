import { createHash } from 'node:crypto'
import { join, resolve } from 'node:path'
import type { EventChannel, EventOf } from '../../shared/contract.ts'
import type {
  BackendSettings,
  Badge,
  ConnectionState,
  Conversation,
  DesktopNotification,
  SessionState,
  Settings,
  Workspace,
} from '../../shared/domain.ts'
import { settingsSchema } from '../../shared/domain.ts'
import { appError, err, ok, type Result } from '../../shared/errors.ts'
import { createStdoutLogger } from '../../../logging/logger.ts'
import type { Logger } from '../../shared/log.ts'
import { Cache, type RetentionPolicy } from '../cache/cache.ts'
import { launchEmbeddedStack, type EmbeddedStack } from '../embedded-stack/launcher.ts'
import {
  badgeFor,
  decideNotification,
  initialNotificationState,
  type ViewState,
} from '../notifications/policy.ts'
import { createOutbox, type Outbox } from '../outbox/outbox.ts'
import type { Platform } from '../platform-interface.ts'
import {
  createSessionService,
  fetchWorkspaces,
  postgrestError,
  type SessionService,
} from '../session/session.ts'
import { contactColumns, messageColumns, parseConversation, parseMessage } from '../sync/rows.ts'
import { createSyncService, type MessageChange, type SyncService } from '../sync/sync.ts'
import { checkEvent, createDispatcher, type Handlers, type Reply } from './dispatch.ts'
import { loadSettings, resolveBackend, saveSettings } from './settings.ts'

/**
 * The composition root of the main-process services. Electron's main process and
 * the browser shell's Node host both create exactly this and talk to it through
 * `dispatch` (requests) and `subscribe` (events), both checked against the contract.
 */
export interface AppCoreConfig {
  logger?: Logger
  /** Overrides the settings file and the environment (tests, the browser shell's E2E stack). */
  backend?: BackendSettings | null
  env?: Record<string, string | undefined>
  /** The embedded stack's child entry; defaults to host.ts beside the launcher (Node 24 runs it directly). */
  embeddedHostModule?: string
  /** Port the embedded backend tries first (54321 as `supabase start`). */
  embeddedPort?: number
  retention?: RetentionPolicy
  /** How far behind the cursor a backfill re-reads (commit order is not timestamp order). */
  overlapMs?: number
  /** When the full cache integrity check runs after start. */
  integrityCheckDelayMs?: number
}

export type EventListener = (event: EventChannel, payload: unknown) => void

export interface AppCore {
  dispatch(channel: string, payload: unknown): Promise<Reply>
  subscribe(listener: EventListener): () => void
  /** A desktop notification was clicked: the renderer opens its conversation (or workspace). */
  notificationClicked(notification: Pick<DesktopNotification, 'workspaceId' | 'contactId'>): void
  dispose(): Promise<void>
}

export const demoAccounts = [
  { email: 'ava@acme.test', password: 'inbox-demo-1', label: 'Ava — owner, Acme Support' },
  { email: 'ben@acme.test', password: 'inbox-demo-1', label: 'Ben — agent, Acme Support' },
  { email: 'cleo@globex.test', password: 'inbox-demo-1', label: 'Cleo — agent, Globex Care' },
]

/** What runs against one backend; replaced as a whole when the backend settings change. */
interface Runtime {
  embedded: EmbeddedStack | null
  session: SessionService
  cache: Cache
  sync: SyncService
  outbox: Outbox
  workspaces: Workspace[]
  dispose(): Promise<void>
}

/** A crashed embedded server is restarted, at most this often, so a crash loop ends. */
const maxEmbeddedRestarts = 3
const embeddedRestartWindowMs = 5 * 60_000

const signedOutUnauthorized = () => err('unauthorized', 'Please sign in first.')

export function createAppCore(platform: Platform, config: AppCoreConfig = {}): AppCore {
  const logger = config.logger ?? createStdoutLogger('main')
  const env = config.env ?? process.env
  const settingsFile = join(platform.userDataDir, 'settings.json')
  let settings: Settings = loadSettings(settingsFile, logger)
  /** The agent's choice in Settings, unless the embedding code fixed a policy (tests). */
  const applyRetention = (cache: Cache) => {
    try {
      cache.applyRetention(config.retention ?? { keepDays: settings.cacheRetentionDays })
    } catch (error) {
      logger.warn('retention failed', { error })
    }
  }
  const listeners = new Set<EventListener>()
  let view: ViewState = { focused: true, openConversationId: null }
  let notificationState = initialNotificationState
  let lastBadge = ''
  let disposed = false
  let runtimeError: string | null = null
  let embeddedRestarts: number[] = []
  let runtime: Promise<Runtime | null>
  let activeBackend: BackendSettings = { mode: 'embedded' }

  const emit = <E extends EventChannel>(event: E, payload: EventOf<E>) => {
    if (disposed) return
    const checked = checkEvent(event, payload, logger)
    if (!checked.ok) return
    for (const listener of listeners) {
      try {
        listener(event, checked.payload)
      } catch (error) {
        logger.error('event listener threw', { event, error })
      }
    }
  }

  const backendOverride = config.backend ?? null

  function chooseBackend(): Result<BackendSettings> {
    if (backendOverride) return ok(backendOverride)
    const resolved = resolveBackend(settings, env)
    return resolved.ok
      ? ok(resolved.backend ?? { mode: 'embedded' })
      : err('not_configured', resolved.message)
  }

  const storageKey = (backend: BackendSettings) =>
    backend.mode === 'embedded'
      ? 'embedded'
      : createHash('sha256').update(backend.supabaseUrl).digest('hex').slice(0, 16)

  function publishBadge(current: Runtime): void {
    const badge: Badge = badgeFor(
      current.cache.unreadByWorkspace(),
      current.workspaces.map((w) => w.id),
    )
    const key = JSON.stringify(badge)
    if (key === lastBadge) return
    lastBadge = key
    platform.setBadge(badge)
    emit('badge.changed', badge)
  }

  function onSyncMessage(current: Runtime, change: MessageChange): void {
    if (change.outcome === 'deleted') return
    emit('message.upserted', change.message)
    const news = change.outcome === 'inserted' && (change.source === 'live' || !change.initial)
    if (!news || change.message.direction !== 'inbound') return
    const workspace = current.workspaces.find((w) => w.id === change.message.workspaceId)
    const decision = decideNotification(
      notificationState,
      {
        message: change.message,
        conversation: current.cache.getConversation(change.message.contactId),
        workspaceName: workspace?.name ?? 'SMS Inbox',
        now: Date.now(),
      },
      // The host knows the window's focus for certain; the renderer reports which conversation is open.
      { ...view, focused: platform.isFocused?.() ?? view.focused },
      settings.notifications,
    )
    notificationState = decision.state
    if (decision.notification) platform.notify(decision.notification)
  }

  function emitConversation(current: Runtime, conversation: Conversation): void {
    emit('conversation.upserted', conversation)
    publishBadge(current)
  }

  async function refreshWorkspaces(current: Runtime): Promise<void> {
    const userId = current.session.userId()
    if (!userId) return
    const fetched = await fetchWorkspaces(current.session.client, userId)
    if (!fetched.ok) {
      logger.warn('workspaces could not be loaded; using the cached list', { kind: fetched.error.kind })
    } else {
      const known = new Set(fetched.value.map((w) => w.id))
      for (const old of current.workspaces) if (!known.has(old.id)) current.cache.forgetWorkspace(old.id)
      current.cache.replaceWorkspaces(fetched.value)
    }
    current.workspaces = current.cache.listWorkspaces()
    emit('workspaces.changed', current.workspaces)
    current.sync.setWorkspaces(current.workspaces.map((w) => w.id))
    publishBadge(current)
    current.outbox.kick()
  }

  async function startRuntime(backend: BackendSettings): Promise<Runtime | null> {
    activeBackend = backend
    runtimeError = null
    let embedded: EmbeddedStack | null = null
    let target = backend
    if (backend.mode === 'embedded') {
      try {
        embedded = await launchEmbeddedStack({
          hostModule: config.embeddedHostModule ?? resolve(import.meta.dirname, '../embedded-stack/host.ts'),
          dataDir: join(platform.userDataDir, 'embedded-backend'),
          logger,
          ...(config.embeddedPort === undefined ? {} : { port: config.embeddedPort }),
        })
      } catch (error) {
        runtimeError = error instanceof Error ? error.message : 'The embedded server could not start.'
        logger.error('embedded stack failed', { error })
        return null
      }
      target = {
        mode: 'custom',
        supabaseUrl: embedded.supabaseUrl,
        anonKey: embedded.anonKey,
        relayUrl: embedded.relayUrl,
      }
    }
    if (target.mode !== 'custom') return null
    const key = storageKey(backend)
    const cachePath = join(platform.userDataDir, 'cache', `${key}.sqlite`)
    const cache = Cache.open(cachePath, { logger })
    if (cache.recoveredFrom) logger.warn('the cache was rebuilt', { movedTo: cache.recoveredFrom })
    const session = createSessionService({
      supabaseUrl: target.supabaseUrl,
      anonKey: target.anonKey,
      storageFile: join(platform.userDataDir, 'session', `${key}.bin`),
      secrets: platform.secretStore,
      logger,
    })
    const current = {} as Runtime
    const sync = createSyncService({
      client: session.client,
      cache,
      logger,
      ...(config.overlapMs === undefined ? {} : { overlapMs: config.overlapMs }),
      onMessage: (change) => onSyncMessage(current, change),
      onConversation: (change) => {
        if (change.outcome !== 'deleted') emitConversation(current, change.conversation)
        else publishBadge(current)
      },
      onState: (state) => emit('connection.changed', state),
    })
    const outbox = createOutbox({
      cache,
      relayUrl: target.relayUrl,
      accessToken: () => session.accessToken(),
      refreshSession: () => session.refresh(),
      onMessage: (message) => emit('message.upserted', message),
      logger,
    })
    const offResume = platform.onResume(() => {
      current.sync.resync('resume')
      current.outbox.kick()
      void refreshWorkspaces(current)
    })
    const offNetwork = platform.onNetworkChange((online) => {
      current.sync.setOnline(online)
      if (online) current.outbox.kick()
    })
    const retention = setInterval(() => applyRetention(cache), 6 * 3_600_000)
    retention.unref()
    // Opening only proves the header and schema are readable; the full check runs after the first paint.
    const integrity = setTimeout(() => {
      if (disposed || cache.checkIntegrity()) return
      logger.error('cache damaged; moving it aside and rebuilding from the server', { cachePath })
      rebuild(current, () => Cache.quarantine(cachePath))
    }, config.integrityCheckDelayMs ?? 10_000)
    integrity.unref()
    Object.assign(current, {
      embedded,
      session,
      cache,
      sync,
      outbox,
      workspaces: cache.listWorkspaces(),
      async dispose() {
        clearInterval(retention)
        clearTimeout(integrity)
        offResume()
        offNetwork()
        await outbox.stop()
        await sync.stop()
        session.dispose()
        cache.close()
        await embedded?.stop()
      },
    } satisfies Runtime)
    embedded?.onExit(() => {
      sync.setOnline(false)
      if (disposed) return
      const now = Date.now()
      embeddedRestarts = embeddedRestarts.filter((at) => now - at < embeddedRestartWindowMs)
      if (embeddedRestarts.length >= maxEmbeddedRestarts) {
        // A server that keeps dying would restart forever; the cache stays readable, offline.
        runtimeError = 'The embedded server keeps stopping. Restart the app to bring it back.'
        logger.error('the embedded server keeps stopping; not restarting it again', {
          restarts: embeddedRestarts.length,
        })
        return
      }
      embeddedRestarts.push(now)
      logger.warn('the embedded server stopped; restarting it', { restarts: embeddedRestarts.length })
      // The same data directory and stored session: sync backfills from its cursor, so nothing is missed.
      rebuild(current)
    })
    session.onChange((state) => {
      emit('session.changed', state)
      // The session ended on its own (refresh token revoked or expired): stop listening as that agent.
      if (state.status === 'signed-out') current.sync.setWorkspaces([])
    })
    await session.ready
    applyRetention(cache)
    if (session.state().status === 'signed-in') {
      // Cache first: the inbox paints from what is cached while the network catches up.
      current.sync.setWorkspaces(current.workspaces.map((w) => w.id))
      publishBadge(current)
      void refreshWorkspaces(current)
    }
    emit('session.changed', session.state())
    return current
  }

  /** Replaces a running runtime with a new one, doing `between` once the old one has let go of its files. */
  function rebuild(current: Runtime, between?: () => void): void {
    runtime = (async () => {
      await current.dispose()
      between?.()
      return boot()
    })()
  }

  function boot(): Promise<Runtime | null> {
    const chosen = chooseBackend()
    if (!chosen.ok) {
      runtimeError = chosen.error.message
      return Promise.resolve(null)
    }
    return startRuntime(chosen.value).catch((error: unknown) => {
      runtimeError = 'The app could not start its services.'
      logger.error('runtime failed to start', { error })
      return null
    })
  }
  runtime = boot()

  async function signedIn(): Promise<Result<{ current: Runtime; userId: string }>> {
    const current = await runtime
    if (!current) return err('not_configured', runtimeError ?? 'The app is not connected to a server.')
    const userId = current.session.userId()
    if (!userId) return signedOutUnauthorized()
    return ok({ current, userId })
  }

  async function memberOf(workspaceId: string): Promise<Result<{ current: Runtime; userId: string }>> {
    const auth = await signedIn()
    if (!auth.ok) return auth
    if (!auth.value.current.workspaces.some((w) => w.id === workspaceId)) {
      return err('forbidden', 'You are not a member of this workspace.')
    }
    return auth
  }

  async function conversationOf(
    contactId: string,
  ): Promise<Result<{ current: Runtime; conversation: Conversation }>> {
    const auth = await signedIn()
    if (!auth.ok) return auth
    const conversation = auth.value.current.cache.getConversation(contactId)
    if (!conversation) return err('not_found', 'This conversation is not in your inbox.')
    return ok({ current: auth.value.current, conversation })
  }

  const connectionState = async (): Promise<ConnectionState> => {
    const current = await runtime
    if (!current || !current.session.userId())
      return { status: 'offline', lastSyncAt: current?.cache.lastSyncAt() ?? null }
    return current.sync.state()
  }

  const handlers: Handlers = {
    'app.info': async () =>
      ok({
        version: platform.appVersion,
        embedded: activeBackend.mode === 'embedded',
        demoAccounts: activeBackend.mode === 'embedded' ? demoAccounts : [],
      }),
    'session.get': async () => {
      const current = await runtime
      const state: SessionState = current
        ? current.session.state()
        : { status: 'signed-out', reason: runtimeError }
      return ok(state)
    },
    'session.signIn': async ({ email, password }) => {
      const current = await runtime
      if (!current) return err('not_configured', runtimeError ?? 'The app is not connected to a server.')
      const result = await current.session.signIn(email, password)
      if (result.ok) await refreshWorkspaces(current)
      return result
    },
    'session.signOut': async () => {
      const current = await runtime
      if (!current) return ok({ status: 'signed-out', reason: runtimeError })
      current.sync.setWorkspaces([])
      const state = await current.session.signOut()
      current.cache.clear()
      current.workspaces = []
      lastBadge = ''
      publishBadge(current)
      emit('workspaces.changed', [])
      return ok(state)
    },
    'workspaces.list': async () => {
      const auth = await signedIn()
      if (!auth.ok) return auth
      auth.value.current.workspaces = auth.value.current.cache.listWorkspaces()
      return ok(auth.value.current.workspaces)
    },
    'conversations.list': async ({ workspaceId, filter, limit, after }) => {
      const auth = await memberOf(workspaceId)
      if (!auth.ok) return auth
      return ok(auth.value.current.cache.listConversations(workspaceId, filter, limit, after))
    },
    'conversations.search': async ({ query, workspaceId, limit }) => {
      const auth = workspaceId ? await memberOf(workspaceId) : await signedIn()
      if (!auth.ok) return auth
      return ok(auth.value.current.cache.search(query, workspaceId, limit))
    },
    'conversations.setStatus': async ({ contactId, status }) => {
      const found = await conversationOf(contactId)
      if (!found.ok) return found
      const { current } = found.value
      const { data, error } = await current.session.client
        .from('contacts')
        .update({ conversation_status: status })
        .eq('id', contactId)
        .select(contactColumns)
        .single()
      if (error) return { ok: false, error: postgrestError(error) }
      const conversation = parseConversation(data)
      if (!conversation) return err('upstream', 'The server answered with an unexpected conversation.')
      current.cache.upsertConversation(conversation)
      const stored = current.cache.getConversation(contactId) ?? conversation
      emitConversation(current, stored)
      return ok(stored)
    },
    'conversations.markRead': async ({ contactId }) => {
      const found = await conversationOf(contactId)
      if (!found.ok) return found
      const { current, conversation } = found.value
      // The badge and list follow at once; the server's row (through realtime) confirms it.
      if (conversation.unreadCount > 0) {
        const patched = current.cache.patchConversation(contactId, { unreadCount: 0 })
        if (patched) emitConversation(current, patched)
      }
      const { error } = await current.session.client.rpc('mark_conversation_read', { contact_id: contactId })
      return error ? { ok: false, error: postgrestError(error) } : ok(null)
    },
    'conversations.markUnread': async ({ contactId }) => {
      const found = await conversationOf(contactId)
      if (!found.ok) return found
      const { current, conversation } = found.value
      const { error } = await current.session.client.rpc('mark_conversation_unread', {
        contact_id: contactId,
      })
      if (error) return { ok: false, error: postgrestError(error) }
      if (conversation.unreadCount === 0) {
        const patched = current.cache.patchConversation(contactId, { unreadCount: 1 })
        if (patched) emitConversation(current, patched)
      }
      return ok(null)
    },
    'thread.load': async ({ contactId, before, limit }) => {
      const found = await conversationOf(contactId)
      if (!found.ok) return found
      const { current } = found.value
      const cached = current.cache.thread(contactId, before, limit)
      // Older history than the cache keeps (retention) comes from the server, and is cached on the way.
      if (
        cached.hasMore ||
        cached.messages.length >= limit ||
        (before === null && cached.messages.length > 0)
      ) {
        return ok(cached)
      }
      const oldest = cached.messages[0]?.createdAt ?? before
      let query = current.session.client
        .from('messages')
        .select(messageColumns)
        .eq('contact_id', contactId)
        .order('created_at', { ascending: false })
        .limit(limit - cached.messages.length + 1)
      if (oldest) query = query.lt('created_at', oldest)
      const { data, error } = await query
      if (error) return ok(cached)
      const rows = (data ?? []) as unknown[]
      for (const row of rows.slice(0, limit - cached.messages.length)) {
        const message = parseMessage(row)
        if (message) current.cache.upsertMessage(message)
      }
      const merged = current.cache.thread(contactId, before, limit)
      return ok({
        messages: merged.messages,
        hasMore: merged.hasMore || rows.length > limit - cached.messages.length,
      })
    },
    'messages.send': async ({ workspaceId, contactId, body }) => {
      const auth = await memberOf(workspaceId)
      if (!auth.ok) return auth
      const { current, userId } = auth.value
      const conversation = current.cache.getConversation(contactId)
      if (!conversation || conversation.workspaceId !== workspaceId)
        return err('not_found', 'This conversation is not in that workspace.')
      const message = current.outbox.send({ workspaceId, contactId, body, userId })
      emit('message.upserted', message)
      return ok(message)
    },
    'messages.retry': async ({ messageId }) => {
      const auth = await signedIn()
      if (!auth.ok) return auth
      const { current } = auth.value
      const result = current.outbox.retry(messageId)
      if (result.ok) emit('message.upserted', result.value)
      return result
    },
    'connection.get': async () => ok(await connectionState()),
    'settings.get': async () => ok(settings),
    'settings.update': async (next) => {
      const parsed = settingsSchema.safeParse(next)
      if (!parsed.success) return err('invalid_input', 'Invalid settings.')
      const backendChanged = JSON.stringify(parsed.data.backend) !== JSON.stringify(settings.backend)
      const retentionChanged = parsed.data.cacheRetentionDays !== settings.cacheRetentionDays
      settings = parsed.data
      saveSettings(settingsFile, settings)
      if (retentionChanged && !backendChanged) {
        const current = await runtime
        if (current) applyRetention(current.cache)
      }
      if (backendChanged && !backendOverride) {
        // The new backend takes effect now: services restart against it, each with its own cache and session.
        const previous = await runtime
        await previous?.dispose()
        lastBadge = ''
        runtime = boot()
        const current = await runtime
        emit(
          'session.changed',
          current ? current.session.state() : { status: 'signed-out', reason: runtimeError },
        )
        emit('connection.changed', await connectionState())
      }
      return ok(settings)
    },
    'view.report': async ({ focused, openConversationId }) => {
      view = { focused, openConversationId }
      return ok(null)
    },
    'dev.simulateInbound': async ({ workspaceId, from, body }) => {
      const current = await runtime
      if (!current?.embedded)
        return err('not_configured', 'Simulating an SMS is only available with the embedded server.')
      return current.embedded.simulateInbound({ workspaceId, from, body })
    },
    'shell.openExternal': async ({ url }) => {
      await platform.openExternal(url)
      return ok(null)
    },
  }

  const dispatch = createDispatcher(handlers, logger)

  return {
    async dispatch(channel, payload) {
      if (disposed) return { ok: false, error: appError('offline', 'The app is shutting down.') }
      return dispatch(channel, payload)
    },
    subscribe(listener) {
      listeners.add(listener)
      return () => {
        listeners.delete(listener)
      }
    },
    notificationClicked({ workspaceId, contactId }) {
      emit('navigation.open', { workspaceId, contactId })
    },
    async dispose() {
      if (disposed) return
      disposed = true
      listeners.clear()
      const current = await runtime
      await current?.dispose()
    },
  }
}
