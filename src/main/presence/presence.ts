import type { RealtimeChannel, SupabaseClient } from '@supabase/supabase-js'
import { z } from 'zod'
import type { PresentMember, WorkspacePresence } from '../../shared/domain.ts'
import type { Logger } from '../../shared/log.ts'
import { memberProfileRowSchema } from '../../shared/rows/member-profiles.ts'
import { workspaceChannelKeyRowSchema } from '../../shared/rows/workspaces.ts'
import { workspaceChannelTopic } from '../../shared/workspace-channel.ts'

/**
 * Who is looking at what, per workspace: the agent's main process joins the workspace's
 * private Realtime channel `workspace:<id>:<channel key>` (its members only, by RLS on
 * realtime.messages) and tracks the conversation it has open there and whether the
 * agent is typing in it. Every change of the others' presence is reported whole.
 *
 * Realtime checks a private channel's policies only at join, so removing a member
 * rotates the workspace's channel key and the team moves to the new topic, leaving the
 * removed member alone on the old one (20261201200100_workspace_channel_keys.sql). The
 * rotation reaches the members still in the workspace as a live UPDATE of the key row.
 */

const channelKeySchema = workspaceChannelKeyRowSchema.pick({ workspace_id: true, key: true })
type ChannelKey = z.infer<typeof channelKeySchema>

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
  /** Tells of each rotation of the workspace's channel key. */
  keyChanges: RealtimeChannel
  /** Counts the rotations heard, so that a key read before one cannot undo it. */
  rotationsHeard: number
  /** The private channel under the current key; null until the key is known. */
  channel: RealtimeChannel | null
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
    const channel = workspace.channel
    if (!channel || !workspace.subscribed || !workspace.profile || !userId) return
    const meta = metaFor(workspace, userId, workspace.profile)
    const json = JSON.stringify(meta)
    if (workspace.tracked === json) return
    workspace.tracked = json
    channel.track(meta).catch((error: unknown) => {
      workspace.tracked = null
      logger.warn('presence track failed', { workspaceId: workspace.id, error })
    })
  }

  function publish(workspace: JoinedWorkspace): void {
    const me = options.userId()
    const byConversation = new Map<string, Map<string, PresentMember>>()
    for (const metas of Object.values(workspace.channel?.presenceState() ?? {})) {
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

  /** Joins the private channel under `key`, leaving the one under the previous key. */
  function enter(workspace: JoinedWorkspace, key: ChannelKey): void {
    const topic = workspaceChannelTopic(key)
    const previous = workspace.channel
    if (previous?.subTopic === topic) return
    const channel = client.channel(topic, {
      config: { private: true, presence: { key: options.userId() ?? '' } },
    })
    // Replaced before the previous one is removed: its closing is then not taken for the server closing this one.
    workspace.channel = channel
    workspace.subscribed = false
    workspace.tracked = null
    if (previous) void client.removeChannel(previous)
    const current = () => !stopped && joined.get(workspace.id) === workspace && workspace.channel === channel
    channel
      .on('presence', { event: 'sync' }, () => {
        if (current()) publish(workspace)
      })
      .subscribe((status, error) => {
        if (!current()) return
        logger.debug('presence channel status', { workspaceId: workspace.id, status, error })
        // Every join, the first and each rejoin after a reconnect, starts with nothing tracked.
        workspace.tracked = null
        workspace.subscribed = status === 'SUBSCRIBED'
        if (workspace.subscribed) return track(workspace)
        // Realtime-js rejoins after an error or a timeout by itself; a closed channel it leaves closed.
        if (status === 'CLOSED') rejoinLater(workspace)
      })
  }

  /** Reads the current key and enters its channel, unless a rotation heard meanwhile said newer. */
  async function readKey(workspace: JoinedWorkspace): Promise<void> {
    const heard = workspace.rotationsHeard
    const { data, error } = await client
      .from('workspace_channel_keys')
      .select('workspace_id, key')
      .eq('workspace_id', workspace.id)
      .maybeSingle()
    if (stopped || joined.get(workspace.id) !== workspace || workspace.rotationsHeard !== heard) return
    const key = channelKeySchema.safeParse(data)
    if (error || !key.success) {
      // Not a member (any more), or the read failed: no channel until the next rotation or rejoin.
      logger.warn('presence: no channel key; not joined to the team', { workspaceId: workspace.id, error })
      return
    }
    enter(workspace, key.data)
  }

  function join(id: string): JoinedWorkspace {
    const userId = options.userId() ?? ''
    const keyChanges = client.channel(`workspace-channel-key:${id}`)
    const workspace: JoinedWorkspace = {
      id,
      keyChanges,
      rotationsHeard: 0,
      channel: null,
      profile: null,
      subscribed: false,
      tracked: null,
      reported: { workspaceId: id, conversations: [] },
      reportedJson: '',
    }
    const current = () => !stopped && joined.get(id) === workspace
    keyChanges
      .on(
        'postgres_changes',
        {
          event: 'UPDATE',
          schema: 'public',
          table: 'workspace_channel_keys',
          filter: `workspace_id=eq.${id}`,
        },
        (payload) => {
          const key = channelKeySchema.safeParse(payload.new)
          if (!current() || !key.success) return
          workspace.rotationsHeard += 1
          enter(workspace, key.data)
        },
      )
      .subscribe((status, error) => {
        if (!current()) return
        logger.debug('presence key channel status', { workspaceId: id, status, error })
        // Read once listening, on each (re)join: a rotation before it is in the read, one after it is heard.
        if (status === 'SUBSCRIBED') void readKey(workspace)
        if (status === 'CLOSED') rejoinLater(workspace)
      })
    void loadProfile(workspace, userId)
    return workspace
  }

  function rejoinLater(workspace: JoinedWorkspace): void {
    leave(workspace)
    setTimeout(() => {
      if (!stopped && !joined.has(workspace.id)) joined.set(workspace.id, join(workspace.id))
    }, rejoinDelayMs)
  }

  function leave(workspace: JoinedWorkspace): void {
    joined.delete(workspace.id)
    // Leaving drops this agent from everyone's presence; whatever was shown of the others goes too.
    void client.removeChannel(workspace.keyChanges)
    if (workspace.channel) void client.removeChannel(workspace.channel)
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
      await Promise.all(
        all.flatMap((workspace) =>
          [workspace.keyChanges, workspace.channel].flatMap((channel) =>
            channel ? [client.removeChannel(channel)] : [],
          ),
        ),
      )
    },
  }
}
