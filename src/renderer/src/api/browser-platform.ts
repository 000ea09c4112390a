import type { AppApi } from '../../../shared/contract.ts'
import { useConversations } from '../stores/conversations.ts'
import { useWorkspaces } from '../stores/workspaces.ts'

export const appTitle = 'SMS Inbox'

/**
 * What Electron's main process does natively, done by the page in the browser
 * shell: the notification policy (in the host) decides, this shows the result.
 */
export function installBrowserPlatform(api: AppApi): () => void {
  const offNotification = api.on('notification.show', (notification) => {
    if (!('Notification' in window) || Notification.permission !== 'granted') return
    const shown = new Notification(notification.title, {
      body: notification.body,
      tag: notification.id,
      silent: !notification.sound,
    })
    shown.addEventListener('click', () => {
      window.focus()
      useWorkspaces.getState().select(notification.workspaceId)
      if (notification.contactId) useConversations.getState().open(notification.contactId)
      shown.close()
    })
  })
  // A first sync changes the total thousands of times; the title and the OS badge are
  // costly to touch, so they follow the latest total at most twice a second.
  let shownTotal = -1
  let latestTotal = 0
  let timer: ReturnType<typeof setTimeout> | null = null
  let badgingWorks = 'setAppBadge' in navigator
  const show = () => {
    timer = null
    if (latestTotal === shownTotal) return
    shownTotal = latestTotal
    document.title = latestTotal > 0 ? `(${latestTotal}) ${appTitle}` : appTitle
    if (!badgingWorks) return
    const done = latestTotal > 0 ? navigator.setAppBadge(latestTotal) : navigator.clearAppBadge()
    // The Badging API refuses outside an installed app; the title still shows the count.
    done.catch(() => {
      badgingWorks = false
    })
  }
  const offBadge = api.on('badge.changed', (badge) => {
    latestTotal = badge.total
    timer ??= setTimeout(show, shownTotal < 0 ? 0 : 500)
  })
  return () => {
    offNotification()
    offBadge()
    if (timer) clearTimeout(timer)
  }
}

/** Asks once, from a user gesture, so inbound SMS can raise browser notifications. */
export function askNotificationPermission(): void {
  if ('Notification' in window && Notification.permission === 'default') void Notification.requestPermission()
}

/** Tells the notification policy what the agent is looking at. */
export function reportView(api: AppApi): () => void {
  let last = ''
  const report = () => {
    const focused = document.hasFocus()
    const openConversationId = useConversations.getState().openId
    const key = `${focused}:${openConversationId}`
    if (key === last) return
    last = key
    void api.request('view.report', { focused, openConversationId })
  }
  window.addEventListener('focus', report)
  window.addEventListener('blur', report)
  const offStore = useConversations.subscribe(report)
  report()
  return () => {
    window.removeEventListener('focus', report)
    window.removeEventListener('blur', report)
    offStore()
  }
}
