import type {
  Badge,
  Conversation,
  DesktopNotification,
  Message,
  NotificationSettings,
} from '../../shared/domain.ts'
import type { Note } from '../../shared/notes-and-replies.ts'
import { formatPhone, type HomeRegion } from '../../shared/phone.ts'

/**
 * When an inbound SMS becomes a desktop notification. Pure: the caller keeps the
 * state between calls and shows what comes back, so every rule is table-tested.
 */

export const BURST_WINDOW_MS = 2_000
/** More than this many notifications of one workspace within the window are coalesced. */
export const BURST_LIMIT = 3

export interface ViewState {
  focused: boolean
  openConversationId: string | null
}

export interface NotificationPolicyState {
  /** Per workspace, when recent notifiable messages arrived (within the burst window). */
  recent: Record<string, number[]>
}
export const initialNotificationState: NotificationPolicyState = { recent: {} }

export interface InboundEvent {
  message: Message
  conversation: Conversation | null
  /** The signed-in agent, for "only mine and unassigned". */
  agentId: string | null
  workspaceName: string
  /** The workspace's home region: a number shows as it does in the app (src/shared/phone.ts). */
  home: HomeRegion | null
  now: number
}

export interface PolicyDecision {
  state: NotificationPolicyState
  notification: DesktopNotification | null
}

const defaultSettings: NotificationSettings = { enabled: true, sound: true }

const preview = (text: string): string => {
  const flat = text.replace(/\s+/g, ' ').trim()
  return flat.length > 120 ? `${flat.slice(0, 119)}…` : flat || '(no text)'
}

/** A conversation not (yet) cached may be anyone's: it notifies rather than stay silent. */
function mineOrUnassigned(conversation: Conversation | null, agentId: string | null): boolean {
  return !conversation || conversation.assigneeId === null || conversation.assigneeId === agentId
}

export function decideNotification(
  state: NotificationPolicyState,
  event: InboundEvent,
  view: ViewState,
  settings: Record<string, NotificationSettings>,
): PolicyDecision {
  const { message, conversation, workspaceName, home, now } = event
  const workspaceId = message.workspaceId
  const prefs = settings[workspaceId] ?? defaultSettings
  const unchanged = { state, notification: null }
  if (message.direction !== 'inbound' || !prefs.enabled) return unchanged
  if (prefs.scope === 'mineAndUnassigned' && !mineOrUnassigned(conversation, event.agentId)) return unchanged
  if (view.focused && view.openConversationId === message.contactId) return unchanged

  const recent = [...(state.recent[workspaceId] ?? []).filter((at) => now - at < BURST_WINDOW_MS), now]
  const next: NotificationPolicyState = { recent: { ...state.recent, [workspaceId]: recent } }

  if (recent.length > BURST_LIMIT) {
    // One summary per workspace burst: the same id replaces the previous summary.
    return {
      state: next,
      notification: {
        id: `burst:${workspaceId}`,
        title: workspaceName,
        body: `${recent.length} new messages`,
        workspaceId,
        contactId: null,
        sound: prefs.sound && recent.length === BURST_LIMIT + 1,
      },
    }
  }
  const who = conversation?.name?.trim() || formatPhone(conversation?.phoneNumber ?? 'Unknown number', home)
  return {
    state: next,
    notification: {
      id: `message:${message.id}`,
      title: `${who} · ${workspaceName}`,
      body: preview(message.content),
      workspaceId,
      contactId: message.contactId,
      sound: prefs.sound,
    },
  }
}

export interface MentionEvent {
  note: Note
  /** The signed-in agent: only a note mentioning them notifies, and never one they wrote. */
  me: string
  authorName: string | null
  conversation: Conversation | null
  workspaceName: string
  home: HomeRegion | null
}

/**
 * A note that @mentions the agent notifies them, as an inbound SMS does: not when the
 * workspace's notifications are off, nor while they look at that conversation. A mention
 * is addressed to one person, so it is never folded into a burst summary.
 */
export function decideMentionNotification(
  event: MentionEvent,
  view: ViewState,
  settings: Record<string, NotificationSettings>,
): DesktopNotification | null {
  const { note, me, conversation, workspaceName, home } = event
  const prefs = settings[note.workspaceId] ?? defaultSettings
  if (!note.mentions.includes(me) || note.createdBy === me || !prefs.enabled) return null
  if (view.focused && view.openConversationId === note.contactId) return null
  const who = conversation?.name?.trim() || formatPhone(conversation?.phoneNumber ?? 'a conversation', home)
  return {
    id: `note:${note.id}`,
    title: `${event.authorName ?? 'A teammate'} mentioned you · ${who} · ${workspaceName}`,
    body: preview(note.body),
    workspaceId: note.workspaceId,
    contactId: note.contactId,
    sound: prefs.sound,
  }
}

/** The badge shows every unread message the agent has, across workspaces. */
export function badgeFor(unreadByWorkspace: Record<string, number>, workspaceIds: readonly string[]): Badge {
  const perWorkspace: Record<string, number> = {}
  let total = 0
  for (const id of workspaceIds) {
    const count = Math.max(0, Math.trunc(unreadByWorkspace[id] ?? 0))
    perWorkspace[id] = count
    total += count
  }
  return { total, perWorkspace }
}

/** What the dock / taskbar shows: macOS and Linux take a number, Windows an overlay label. */
export function badgeLabel(total: number): string {
  if (total <= 0) return ''
  return total > 99 ? '99+' : String(total)
}
