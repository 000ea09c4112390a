import type { BackendSettings } from '../../shared/domain.ts'
import { Cache } from '../cache/cache.ts'
import type { SupervisedStack } from '../embedded-stack/supervisor.ts'
import type { Outbox } from '../outbox/outbox.ts'
import { createPresenceService, type PresenceService } from '../presence/presence.ts'
import { createSessionService, heartbeatIntervalFor, type SessionService } from '../session/session.ts'
import { agentFiles, finishInterruptedSignOut, type AgentFiles } from '../session/sign-out-wipe.ts'
import { createSyncService, type SyncService } from '../sync/sync.ts'
import type { AppCoreConfig, CoreServices } from './core-services.ts'
import { reclaimHeapSoon } from './heap.ts'
import { openOutbox } from './messages-capability.ts'
import { announceSyncBatch } from './sync-announcements.ts'
import { createWorkspaceRoster, refreshWorkspaces, type WorkspaceRoster } from './workspaces-capability.ts'

/** What the inbox reads: the cache and the workspaces it covers. */
export interface InboxScope {
  cache: Cache
  workspaces: WorkspaceRoster
  /** The signed-in agent: whose conversations are "mine". */
  agentId(): string | null
}

/** Everything that runs against one backend; replaced as a whole when the backend changes or breaks. */
export interface BackendRuntime extends InboxScope {
  embedded: SupervisedStack | null
  session: SessionService
  sync: SyncService
  outbox: Outbox
  presence: PresenceService
  /** The relay's base URL, for the admin actions it carries out with the agent's token. */
  relayUrl: string
  /** Where this agent's cache and session live, for sign-out to wipe. */
  files: AgentFiles
  dispose(): Promise<void>
}

/** What the runtime slot lends the runtime it starts. */
export interface RuntimeHooks {
  /** Replace this runtime; `between` runs once it has let go of its files. */
  replace(between?: () => void): void
  closing(): boolean
  /** Why the backend is not working, for the sign-in screen. */
  report(problem: string): void
}

export type BackendRuntimeDeps = Pick<
  CoreServices,
  'platform' | 'logger' | 'events' | 'settings' | 'alerts' | 'embedded'
> &
  Pick<AppCoreConfig, 'overlapMs' | 'integrityCheckDelayMs'>

const retentionIntervalMs = 6 * 3_600_000

export async function startBackendRuntime(
  backend: BackendSettings,
  deps: BackendRuntimeDeps & RuntimeHooks,
): Promise<BackendRuntime | null> {
  const { platform, logger, events, settings, alerts } = deps
  let embedded: SupervisedStack | null = null
  let target = backend
  if (backend.mode === 'embedded') {
    const launched = await deps.embedded.launch()
    if (!launched.ok) {
      deps.report(launched.error.message)
      events.emit('embedded.changed', { status: 'stopped', problem: launched.error.message })
      return null
    }
    embedded = launched.value
    target = {
      mode: 'custom',
      supabaseUrl: embedded.supabaseUrl,
      publishableKey: embedded.publishableKey,
      relayUrl: embedded.relayUrl,
    }
  }
  if (target.mode !== 'custom') return null
  const files = agentFiles(platform.userDataDir, backend)
  finishInterruptedSignOut(files, logger)
  const cachePath = files.cache
  const cache = Cache.open(cachePath, { logger })
  if (cache.recoveredFrom) logger.warn('the cache was rebuilt', { movedTo: cache.recoveredFrom })
  const session = createSessionService({
    supabaseUrl: target.supabaseUrl,
    publishableKey: target.publishableKey,
    storageFile: files.session,
    secrets: platform.secretStore,
    logger,
    heartbeatIntervalMs: heartbeatIntervalFor(backend),
  })
  const scope: InboxScope = {
    cache,
    workspaces: createWorkspaceRoster(cache.listWorkspaces()),
    agentId: () => session.userId(),
  }
  let cancelReclaim = () => {}
  const sync = createSyncService({
    client: session.client,
    cache,
    logger,
    overlapMs: deps.overlapMs,
    onChanges: (batch) => announceSyncBatch(batch, scope, deps, session.userId()),
    onProgress: (progress) => events.emit('sync.progress', progress),
    onMembers: (workspaceId, members) => events.emit('members.changed', { workspaceId, members }),
    // The agent's own role changed or they were removed: their workspace list is re-read at once.
    onMembership: (userId) => {
      if (userId === null || userId === session.userId()) void refresh()
    },
    onNumbers: (workspaceId, numbers) => events.emit('numbers.changed', { workspaceId, numbers }),
    onState: (state) => events.emit('connection.changed', state),
    onFirstSyncsDone: () => {
      cancelReclaim = reclaimHeapSoon(logger)
      // The embedded backend served that sync: its heap grew with the same pages.
      embedded?.reclaimMemory()
    },
  })
  const outbox = openOutbox({ cache, session, relayUrl: target.relayUrl }, deps)
  const presence = createPresenceService({
    client: session.client,
    userId: () => session.userId(),
    logger,
    onChange: (change) => events.emit('presence.changed', change),
  })
  const cleanups: (() => void)[] = []
  const runtime: BackendRuntime = {
    ...scope,
    embedded,
    session,
    sync,
    outbox,
    presence,
    relayUrl: target.relayUrl,
    files,
    async dispose() {
      for (const cleanup of cleanups) cleanup()
      await presence.stop()
      await outbox.stop()
      await sync.stop()
      // The host closes its log once the runtime is gone: a collection still waiting would write to it.
      cancelReclaim()
      session.dispose()
      cache.close()
      await embedded?.stop()
    },
  }
  // Runs in the background; the runtime may be disposed under it (sign-out, another backend).
  const refresh = () =>
    refreshWorkspaces(runtime, deps).catch((error: unknown) =>
      logger.warn('workspaces refresh failed', { error }),
    )

  cleanups.push(
    platform.onResume(() => {
      sync.resync('resume')
      outbox.kick()
      void refresh()
    }),
    platform.onNetworkChange((online) => {
      sync.setOnline(online)
      if (online) outbox.kick()
    }),
  )
  const retention = setInterval(() => settings.applyRetention(cache), retentionIntervalMs)
  retention.unref()
  // Opening only proves the header and schema are readable; the full check runs after the first paint.
  const integrity = setTimeout(() => {
    if (deps.closing() || cache.checkIntegrity()) return
    logger.error('cache damaged; moving it aside and rebuilding from the server', { cachePath })
    deps.replace(() => Cache.quarantine(cachePath))
  }, deps.integrityCheckDelayMs ?? 10_000)
  integrity.unref()
  cleanups.push(
    () => clearInterval(retention),
    () => clearTimeout(integrity),
  )
  if (embedded) {
    cleanups.push(
      embedded.onState((state) => {
        events.emit('embedded.changed', state)
        // Its supervisor restarted it on the same URL: the session and its tokens still hold, so
        // the services only catch up at once rather than at their next backoff.
        if (state.status === 'running') {
          sync.resync('embedded server restarted')
          outbox.kick()
        }
      }),
    )
    events.emit('embedded.changed', embedded.state())
  }
  session.onChange((state) => {
    events.emit('session.changed', state)
    // The session ended on its own (refresh token revoked or expired): stop listening as that agent.
    if (state.status === 'signed-out') {
      sync.setWorkspaces([])
      presence.setWorkspaces([])
    }
  })

  await session.ready
  settings.applyRetention(cache)
  if (session.state().status === 'signed-in') {
    // Cache first: the inbox paints from what is cached while the network catches up.
    sync.setWorkspaces(scope.workspaces.ids())
    presence.setWorkspaces(scope.workspaces.ids())
    alerts.publishBadge(scope)
    void refresh()
  }
  events.emit('session.changed', session.state())
  return runtime
}
