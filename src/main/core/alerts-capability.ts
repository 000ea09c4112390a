import type { DesktopNotification, Message } from '../../shared/domain.ts'
import type { Note } from '../../shared/notes-and-replies.ts'
import { ok } from '../../shared/errors.ts'
import { homeRegionOf } from '../../shared/phone.ts'
import {
  badgeFor,
  decideMentionNotification,
  decideNotification,
  initialNotificationState,
  type ViewState,
} from '../notifications/policy.ts'
import type { Platform } from '../platform-interface.ts'
import type { InboxScope } from './backend-runtime.ts'
import type { HandlersFor } from './dispatch.ts'
import type { EventHub } from './event-hub.ts'
import type { SettingsStore } from './settings-capability.ts'

/**
 * What reaches the agent outside the window: desktop notifications for inbound SMS
 * (through the notification policy) and the unread badge, recomputed from the cache.
 */
export interface Alerts {
  /** Publishes the badge when it differs from the last one published. */
  publishBadge(scope: InboxScope): void
  /** The next badge goes out even when it equals the last (a new agent or backend). */
  resetBadge(): void
  /** An inbound SMS arrived as news: notify unless the policy says the agent has seen it. */
  inbound(message: Message, scope: InboxScope): void
  /** A teammate's note arrived as news: notify `me` if it mentions them. */
  noted(note: Note, scope: InboxScope, me: string, authorName: string | null): void
  /** A desktop notification was clicked: the renderer opens its conversation (or workspace). */
  clicked(notification: Pick<DesktopNotification, 'workspaceId' | 'contactId'>): void
  report(view: ViewState): void
}

export interface AlertsDeps {
  platform: Platform
  events: EventHub
  settings: SettingsStore
}

export function createAlerts({ platform, events, settings }: AlertsDeps): Alerts {
  let view: ViewState = { focused: true, openConversationId: null }
  let policyState = initialNotificationState
  let lastBadge = ''
  return {
    publishBadge({ cache, workspaces }) {
      const badge = badgeFor(cache.unreadByWorkspace(), workspaces.ids())
      const key = JSON.stringify(badge)
      if (key === lastBadge) return
      lastBadge = key
      platform.setBadge(badge)
      events.emit('badge.changed', badge)
    },
    resetBadge() {
      lastBadge = ''
    },
    inbound(message, { cache, workspaces, agentId }) {
      const workspace = workspaces.list().find((w) => w.id === message.workspaceId)
      const decision = decideNotification(
        policyState,
        {
          message,
          conversation: cache.getConversation(message.contactId),
          agentId: agentId(),
          workspaceName: workspace?.name ?? 'SMS Inbox',
          home: homeRegionOf(workspace?.sendingNumber),
          now: Date.now(),
        },
        // The host knows the window's focus for certain; the renderer reports which conversation is open.
        { ...view, focused: platform.isFocused?.() ?? view.focused },
        settings.get().notifications,
      )
      policyState = decision.state
      if (decision.notification) platform.notify(decision.notification)
    },
    noted(note, { cache, workspaces }, me, authorName) {
      const workspace = workspaces.list().find((w) => w.id === note.workspaceId)
      const notification = decideMentionNotification(
        {
          note,
          me,
          authorName,
          conversation: cache.getConversation(note.contactId),
          workspaceName: workspace?.name ?? 'SMS Inbox',
          home: homeRegionOf(workspace?.sendingNumber),
        },
        { ...view, focused: platform.isFocused?.() ?? view.focused },
        settings.get().notifications,
      )
      if (notification) platform.notify(notification)
    },
    clicked({ workspaceId, contactId }) {
      events.emit('navigation.open', { workspaceId, contactId })
    },
    report(next) {
      view = next
    },
  }
}

export function alertsCapability({ alerts }: { alerts: Alerts }): HandlersFor<'view.report'> {
  return {
    'view.report': async (view) => {
      alerts.report(view)
      return ok(null)
    },
  }
}
