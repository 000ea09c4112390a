import { z } from 'zod'
import { createClient, type AuthChangeEvent, type Session, type SupabaseClient } from '@supabase/supabase-js'
import type { BackendSettings, SessionState, Workspace } from '../../shared/domain.ts'
import { appError, type AppError, type Result } from '../../shared/errors.ts'
import type { Logger } from '../../shared/log.ts'
import { selectList } from '../../shared/rows/columns.ts'
import {
  workspaceMemberRowSchema,
  workspaceRowSchema,
  workspaceSendingStatusSchema,
} from '../../shared/rows/workspaces.ts'
import type { SecretStore } from '../platform-interface.ts'
import { createSessionStorage, type SessionStorage } from './storage.ts'

/**
 * The only Supabase client of the app. Tokens never leave this module except as the
 * Authorization header the outbox sends to the relay; the renderer sees SessionState.
 */
export interface SessionOptions {
  supabaseUrl: string
  publishableKey: string
  /** The encrypted session file (under userData). */
  storageFile: string
  secrets: SecretStore
  logger: Logger
  /** The Realtime heartbeat (heartbeatIntervalFor); undefined keeps realtime-js's default. */
  heartbeatIntervalMs?: number | undefined
}

/**
 * How often the Realtime socket beats, by backend. A frozen server keeps its sockets
 * open, so only an unanswered heartbeat reveals it: the embedded backend, a child
 * process on this machine that can freeze, beats every 2 s, so the agent sees
 * "Reconnecting" within two beats (realtime-js's 25 s left it "Live" for most of a
 * minute). A hosted project keeps that default: a beat every 2 s from every agent
 * is traffic it pays for, against a server that does not freeze with the app.
 * Undefined: realtime-js's default.
 */
export function heartbeatIntervalFor(backend: BackendSettings): number | undefined {
  return backend.mode === 'embedded' ? 2_000 : undefined
}

export interface SessionService {
  readonly client: SupabaseClient
  /** Resolves once a stored session has been restored (or found missing). */
  readonly ready: Promise<void>
  state(): SessionState
  userId(): string | null
  signIn(email: string, password: string): Promise<Result<SessionState>>
  /** Redeems an invite email's code (GoTrue verifyOtp type 'invite'), then sets the password chosen. */
  acceptInvite(email: string, code: string, password: string): Promise<Result<SessionState>>
  signOut(): Promise<SessionState>
  /** A valid access token (refreshed first if it is about to expire), or null when signed out. */
  accessToken(): Promise<string | null>
  /** Forces a refresh, e.g. after the relay said 401. */
  refresh(): Promise<boolean>
  onChange(listener: (state: SessionState, event: AuthChangeEvent) => void): () => void
  dispose(): void
}

export function createSessionService(options: SessionOptions): SessionService {
  const { logger } = options
  const storage: SessionStorage = createSessionStorage(options.storageFile, options.secrets, logger)
  const client = createClient(options.supabaseUrl, options.publishableKey, {
    auth: {
      storage,
      storageKey: 'sms-inbox-auth',
      persistSession: true,
      autoRefreshToken: true,
      detectSessionInUrl: false,
    },
    realtime:
      options.heartbeatIntervalMs === undefined ? {} : { heartbeatIntervalMs: options.heartbeatIntervalMs },
  })
  let session: Session | null = null
  let signOutReason: string | null = storage.warning
  let signingOut = false
  const listeners = new Set<(state: SessionState, event: AuthChangeEvent) => void>()

  const state = (): SessionState =>
    session
      ? {
          status: 'signed-in',
          user: { id: session.user.id, email: session.user.email ?? '' },
          persistence: storage.persistence,
          persistenceWarning: storage.persistence === 'memory' ? storage.warning : null,
        }
      : { status: 'signed-out', reason: signOutReason }

  const { data: subscription } = client.auth.onAuthStateChange((event, next) => {
    const wasSignedIn = session !== null
    session = next
    if (next) {
      // supabase-js does this too; doing it here keeps the socket right whatever its version does.
      client.realtime
        .setAuth(next.access_token)
        .catch((error: unknown) => logger.warn('realtime setAuth failed', { error }))
    } else if (wasSignedIn && event === 'SIGNED_OUT' && !signingOut) {
      signOutReason = 'Your session ended. Please sign in again.'
    }
    for (const listener of listeners) listener(state(), event)
  })

  const ready = client.auth.getSession().then(
    ({ data }) => {
      session = data.session
    },
    (error: unknown) => logger.warn('restoring the session failed', { error }),
  )

  return {
    client,
    ready,
    state,
    userId: () => session?.user.id ?? null,
    async signIn(email, password) {
      const { data, error } = await client.auth.signInWithPassword({ email, password })
      if (error || !data.session) return { ok: false, error: authError(error) }
      session = data.session
      signOutReason = null
      return { ok: true, value: state() }
    },
    async acceptInvite(email, code, password) {
      const verified = await client.auth.verifyOtp({ email, token: code, type: 'invite' })
      if (verified.error || !verified.data.session) {
        if (verified.error?.status === 403 || verified.error?.code === 'otp_expired')
          return {
            ok: false,
            error: appError('unauthorized', 'That code is wrong or has expired. Ask for a new invite.'),
          }
        return { ok: false, error: authError(verified.error) }
      }
      session = verified.data.session
      signOutReason = null
      const updated = await client.auth.updateUser({ password })
      if (updated.error)
        logger.warn('the invitee joined but the password was not set', { code: updated.error.code })
      return updated.error
        ? {
            ok: false,
            error: appError(
              'upstream',
              `You joined, but the password was refused: ${updated.error.message} Sign out and use "Forgot password", or ask for a new invite.`,
            ),
          }
        : { ok: true, value: state() }
    },
    async signOut() {
      signOutReason = null
      signingOut = true
      try {
        const { error } = await client.auth.signOut({ scope: 'local' })
        if (error) logger.warn('sign-out request failed; the local session is cleared anyway', { error })
      } finally {
        signingOut = false
      }
      session = null
      storage.clear()
      return state()
    },
    async accessToken() {
      const { data } = await client.auth.getSession()
      return data.session?.access_token ?? null
    },
    async refresh() {
      const { data, error } = await client.auth.refreshSession()
      if (error) logger.warn('session refresh failed', { error })
      return Boolean(data.session)
    },
    onChange(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    dispose() {
      subscription.subscription.unsubscribe()
      listeners.clear()
      void client.auth.stopAutoRefresh()
      void client.removeAllChannels()
    },
  }
}

function authError(
  error: { name: string; message: string; status?: number; code?: string } | null,
): AppError {
  if (!error) return appError('internal', 'Sign-in returned no session.')
  if (error.status === 400 || error.code === 'invalid_credentials')
    return appError('unauthorized', 'Wrong email or password.')
  if (error.status === 429)
    return appError('rate_limited', 'Too many sign-in attempts. Wait a minute and try again.')
  if (!error.status || error.name === 'AuthRetryableFetchError') {
    return appError('offline', 'The server cannot be reached. Check the connection and try again.')
  }
  return appError('upstream', `Sign-in failed: ${error.message}`)
}

const memberWorkspaceSchema = workspaceRowSchema.pick({ id: true, name: true, sms_segment_limit: true })
/** A membership with its workspace embedded (PostgREST may embed a to-one relation as a list of one). */
const membershipSchema = workspaceMemberRowSchema.pick({ role: true, workspace_id: true }).extend({
  workspaces: z.union([memberWorkspaceSchema, z.array(memberWorkspaceSchema)]).nullable(),
})
const membershipSelect = `${selectList(membershipSchema.omit({ workspaces: true }))}, workspaces(${selectList(memberWorkspaceSchema)})`

/** The agent's workspaces with whether each can send, in name order. */
export async function fetchWorkspaces(
  client: SupabaseClient,
  userId: string,
): Promise<Result<Omit<Workspace, 'unreadTotal'>[]>> {
  const [members, sending] = await Promise.all([
    client.from('workspace_members').select(membershipSelect).eq('user_id', userId),
    client.rpc('workspace_sending_status'),
  ])
  if (members.error) return { ok: false, error: postgrestError(members.error) }
  const memberships = z.array(membershipSchema).safeParse(members.data ?? [])
  if (!memberships.success)
    return { ok: false, error: appError('upstream', 'The server sent workspaces this app cannot read.') }
  // Without the sending status the workspace still opens; the composer then says it cannot send.
  const sendingStatus = z
    .array(workspaceSendingStatusSchema)
    .safeParse(sending.error ? [] : (sending.data ?? []))
  const status = new Map((sendingStatus.data ?? []).map((row) => [row.workspace_id, row]))
  const list = memberships.data.flatMap((row) => {
    const workspace = Array.isArray(row.workspaces) ? row.workspaces[0] : row.workspaces
    if (!workspace) return []
    const send = status.get(workspace.id)
    return [
      {
        id: workspace.id,
        name: workspace.name,
        role: row.role,
        canSend: send?.is_configured ?? false,
        sendingNumber: send?.sending_number ?? null,
        segmentLimit: workspace.sms_segment_limit,
      },
    ]
  })
  list.sort((a, b) => a.name.localeCompare(b.name))
  return { ok: true, value: list }
}

export function postgrestError(error: { message: string; code?: string }): AppError {
  if (error.code === '42501' || error.code === 'PGRST301')
    return appError('forbidden', 'You are not allowed to do that in this workspace.')
  if (error.code === 'PGRST116') return appError('not_found', 'Not found.')
  if (!error.code || /fetch failed|network|ECONNREFUSED/i.test(error.message)) {
    return appError('offline', 'The server cannot be reached.')
  }
  return appError('upstream', `The server refused: ${error.message}`)
}
