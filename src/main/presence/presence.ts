import type { RealtimeChannel, SupabaseClient } from '@supabase/supabase-js'
import { z } from 'zod'
import type { PresentMember, WorkspacePresence } from '../../shared/domain.ts'
import type { Logger } from '../../shared/log.ts'
import { memberProfileRowSchema } from '../../shared/rows/member-profiles.ts'

/**
 * Who is looking at what, per workspace: the agent's main process joins the workspace's
 * private Realtime channel `workspace:<id>` (its members only, by RLS on
 * realtime.messages) and tracks the conversation it has open there and whether the
 * agent is typing in it. Every change of the others' presence is reported whole.
 */

/** What one agent tracks on a workspace's channel. It comes from the network: parsed, never trusted as typed. */
const presenceMetaSchema = memberProfileRowSchema
  .pick({ user_id: true, display_name: true, avatar_color: true })
  .extend({ conversation_id: z.uuid().nullable(), typing: z.boolean() })
type PresenceMeta = z.infer<typeof presenceMetaSchema>

type Profile = Pick<PresenceMeta, 'display_name' | 'avatar_color'>

/** Typing stops counting this long after the last keystroke report. */
export const defaultTypingTtlMs = 5_000
/** A closed channel (the server dropped it) is joined again after this long. */
const rejoinDelayMs = 1_000

export interface PresenceOptions {
  client: SupabaseClient
  userId(): string | null
  logger: Logger
  onChange(presence: WorkspacePresence): void
  typingTtlMs?: number
}

export interface PresenceService {
  setWorkspaces(ids: readonly string[]): void
  /** The conversation the agent has open (null: none), and whether they are typing in it now. */
  report(open: { workspaceId: string; contactId: string } | null, typing: boolean): void
  /** The last presence reported of each joined workspace. */
  current(): WorkspacePresence[]
  stop(): Promise<void>
}

interface JoinedWorkspace {
  id: string
  channel: RealtimeChannel
  profile: Profile | null
  subscribed: boolean
  /** The meta last tracked on this join, as JSON: the same twice is not sent again. */
  tracked: string | null
  /** The presence last reported, and as JSON. */
  reported: WorkspacePresence
  reportedJson: string
}

export function createPresenceService(options: PresenceOptions): PresenceService {
  const { client, logger } = options
  const typingTtlMs = options.typingTtlMs ?? defaultTypingTtlMs
  const joined = new Map<string, JoinedWorkspace>()
  let open: { workspaceId: string; contactId: string } | null = null
  let typing = false
  let typingTimer: ReturnType<typeof setTimeout> | null = null
  let stopped = false

  function metaFor(workspace: JoinedWorkspace, userId: string, profile: Profile): PresenceMeta {
    const contactId = open?.workspaceId === workspace.id ? open.contactId : null
    return { user_id: userId, ...profile, conversation_id: contactId, typing: contactId !== null && typing }
  }

  function track(workspace: JoinedWorkspace): void {
    const userId = options.userId()
    if (!workspace.subscribed || !workspace.profile || !userId) return
    const meta = metaFor(workspace, userId, workspace.profile)
    const json = JSON.stringify(meta)
    if (workspace.tracked === json) return
    workspace.tracked = json
    workspace.channel.track(meta).catch((error: unknown) => {
      workspace.tracked = null
      logger.warn('presence track failed', { workspaceId: workspace.id, error })
    })
  }

  function publish(workspace: JoinedWorkspace): void {
    const me = options.userId()
    const byConversation = new Map<string, Map<string, PresentMember>>()
    for (const metas of Object.values(workspace.channel.presenceState())) {
      for (const raw of metas) {
        const parsed = presenceMetaSchema.safeParse(raw)
        if (!parsed.success || parsed.data.user_id === me) continue
        const meta = parsed.data
        const contactId = meta.conversation_id
        if (!contactId) continue
        const members = byConversation.get(contactId) ?? new Map<string, PresentMember>()
        byConversation.set(contactId, members)
        // One member on two devices is one face, typing if either is.
        const typingElsewhere = members.get(meta.user_id)?.typing ?? false
        members.set(meta.user_id, {
          userId: meta.user_id,
          displayName: meta.display_name,
          avatarColor: meta.avatar_color,
          typing: meta.typing || typingElsewhere,
        })
      }
    }
    const presence: WorkspacePresence = {
      workspaceId: workspace.id,
      conversations: [...byConversation].map(([contactId, members]) => ({
        contactId,
        members: [...members.values()].sort((a, b) => a.displayName.localeCompare(b.displayName)),
      })),
    }
    const json = JSON.stringify(presence)
    if (json === workspace.reportedJson) return
    workspace.reported = presence
    workspace.reportedJson = json
    options.onChange(presence)
  }

  async function loadProfile(workspace: JoinedWorkspace, userId: string): Promise<void> {
    const { data, error } = await client
      .from('member_profiles')
      .select('display_name, avatar_color')
      .eq('workspace_id', workspace.id)
      .eq('user_id', userId)
      .maybeSingle()
    const profile = memberProfileRowSchema.pick({ display_name: true, avatar_color: true }).safeParse(data)
    if (error || !profile.success) {
      logger.warn('presence: no member profile; not shown to the team', { workspaceId: workspace.id })
      return
    }
    workspace.profile = profile.data
    track(workspace)
  }

  function join(id: string): JoinedWorkspace {
    const userId = options.userId() ?? ''
    const channel = client.channel(`workspace:${id}`, {
      config: { private: true, presence: { key: userId } },
    })
    const workspace: JoinedWorkspace = {
      id,
      channel,
      profile: null,
      subscribed: false,
      tracked: null,
      reported: { workspaceId: id, conversations: [] },
      reportedJson: '',
    }
    channel
      .on('presence', { event: 'sync' }, () => {
        if (joined.get(id) === workspace) publish(workspace)
      })
      .subscribe((status, error) => {
        if (stopped || joined.get(id) !== workspace) return
        logger.debug('presence channel status', { workspaceId: id, status, error })
        // Every join, the first and each rejoin after a reconnect, starts with nothing tracked.
        workspace.tracked = null
        workspace.subscribed = status === 'SUBSCRIBED'
        if (workspace.subscribed) return track(workspace)
        // Realtime-js rejoins after an error or a timeout by itself; a closed channel it leaves closed.
        if (status === 'CLOSED') {
          leave(workspace)
          setTimeout(() => {
            if (!stopped && !joined.has(id)) joined.set(id, join(id))
          }, rejoinDelayMs)
        }
      })
    void loadProfile(workspace, userId)
    return workspace
  }

  function leave(workspace: JoinedWorkspace): void {
    joined.delete(workspace.id)
    // Leaving drops this agent from everyone's presence; whatever was shown of the others goes too.
    void client.removeChannel(workspace.channel)
    if (workspace.reported.conversations.length > 0)
      options.onChange({ workspaceId: workspace.id, conversations: [] })
  }

  function retrackAll(): void {
    for (const workspace of joined.values()) track(workspace)
  }

  return {
    setWorkspaces(ids) {
      if (stopped) return
      for (const workspace of [...joined.values()]) if (!ids.includes(workspace.id)) leave(workspace)
      if (!options.userId()) return
      for (const id of ids) if (!joined.has(id)) joined.set(id, join(id))
    },
    report(next, typingNow) {
      if (typingTimer) clearTimeout(typingTimer)
      typingTimer = null
      open = next
      typing = next !== null && typingNow
      if (typing) {
        typingTimer = setTimeout(() => {
          typing = false
          retrackAll()
        }, typingTtlMs)
      }
      retrackAll()
    },
    current: () => [...joined.values()].map((workspace) => workspace.reported),
    async stop() {
      stopped = true
      if (typingTimer) clearTimeout(typingTimer)
      const all = [...joined.values()]
      joined.clear()
      await Promise.all(all.map((workspace) => client.removeChannel(workspace.channel)))
    },
  }
}
