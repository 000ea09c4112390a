import { useEffect } from 'react'
import type { ConversationStatus } from '../../../shared/domain.ts'
import { useAdmin } from '../stores/admin.ts'
import { useConversations } from '../stores/conversations.ts'
import { useNewConversation } from '../stores/new-conversation.ts'
import { focusTargets, useUi } from '../stores/ui.ts'
import { useWorkspaces } from '../stores/workspaces.ts'
import { ConnectionBanner, LiveIndicator } from './ConnectionBanner.tsx'
import { OpenContactPanel } from './ContactPanel.tsx'
import { ConversationList } from './ConversationList.tsx'
import { Thread } from './Thread.tsx'
import { WorkspaceRail } from './WorkspaceRail.tsx'
import { usePresence } from '../stores/presence.ts'

function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false
  return target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName)
}

function moveCursor(step: number) {
  const ids = useUi.getState().visibleIds
  if (ids.length === 0) return
  const { cursorId, openId, setCursor } = useConversations.getState()
  const from = ids.indexOf(cursorId ?? openId ?? '')
  const next = from < 0 ? (step > 0 ? 0 : ids.length - 1) : Math.min(ids.length - 1, Math.max(0, from + step))
  setCursor(ids[next]!)
}

/**
 * The conversation a shortcut acts on: the one the thread shows, else the list's
 * cursor row. Never one no longer on screen: an open conversation of another
 * workspace (the thread shows none), or a cursor row the list no longer holds.
 */
function shortcutTarget(): string | null {
  const { openId, cursorId, byId } = useConversations.getState()
  const activeId = useWorkspaces.getState().activeId
  if (openId && byId[openId]?.workspaceId === activeId) return openId
  if (cursorId && useUi.getState().visibleIds.includes(cursorId)) return cursorId
  return null
}

/** True when the thread shows the open conversation (not one of another workspace). */
function openOnScreen(): boolean {
  const { openId, byId } = useConversations.getState()
  return openId !== null && byId[openId]?.workspaceId === useWorkspaces.getState().activeId
}

function setStatusOfSelected(status: ConversationStatus) {
  const id = shortcutTarget()
  if (id) void useConversations.getState().setStatus(id, status)
}

/** The app-wide shortcuts; text fields keep their own keys except the global ones. */
function useShortcuts() {
  useEffect(() => {
    const onKeyDown = (event: KeyboardEvent) => {
      const mod = event.ctrlKey || event.metaKey
      if (mod && event.key.toLowerCase() === 'k') {
        event.preventDefault()
        focusTargets.search()
        return
      }
      if (mod || event.altKey || isTyping(event.target) || document.querySelector('dialog[open]')) return
      const target = event.target as HTMLElement | null
      const onControl = target?.tagName === 'BUTTON' || target?.tagName === 'A'
      const conversations = useConversations.getState()
      switch (event.key) {
        case 'ArrowDown':
        case 'j':
          event.preventDefault()
          moveCursor(1)
          if (!target?.closest('#conversation-list')) focusTargets.list()
          break
        case 'ArrowUp':
        case 'k':
          event.preventDefault()
          moveCursor(-1)
          if (!target?.closest('#conversation-list')) focusTargets.list()
          break
        case 'Enter':
          if (onControl || !conversations.cursorId) return
          event.preventDefault()
          conversations.open(conversations.cursorId)
          break
        case 'r':
          if (!conversations.openId) return
          event.preventDefault()
          focusTargets.composer()
          break
        case 'e':
          setStatusOfSelected('Done')
          break
        case 'p':
          setStatusOfSelected('Pending')
          break
        case 'o':
          setStatusOfSelected('Open')
          break
        case 'a': {
          // The menu lives in the thread header: only a conversation on screen can be assigned.
          if (!openOnScreen()) return
          event.preventDefault()
          useUi.getState().setAssigneeMenuOpen(true)
          break
        }
        case 'i':
          // The panel sits beside the open thread: without one on screen there is nothing to show.
          if (!openOnScreen()) return
          useUi.getState().toggleContactPanel()
          break
        case 'u': {
          const id = shortcutTarget()
          if (id) void conversations.markUnread(id)
          break
        }
        case '/':
          event.preventDefault()
          focusTargets.search()
          break
        case '?':
          useUi.getState().setHelpOpen(true)
          break
        case 'm':
          useAdmin.getState().show()
          break
        case 'n':
          event.preventDefault()
          useNewConversation.getState().show()
          break
        default:
          if (/^[1-9]$/.test(event.key)) {
            const workspace = useWorkspaces.getState().list[Number(event.key) - 1]
            if (workspace) useWorkspaces.getState().select(workspace.id)
          }
      }
    }
    window.addEventListener('keydown', onKeyDown)
    return () => window.removeEventListener('keydown', onKeyDown)
  }, [])
}

export function Inbox() {
  const status = useWorkspaces((state) => state.status)
  const count = useWorkspaces((state) => state.list.length)
  const error = useWorkspaces((state) => state.error)
  const load = useWorkspaces((state) => state.load)
  useShortcuts()

  useEffect(() => {
    void load()
    // Teammates already in conversations when the inbox opens are shown at once, not at their next move.
    void usePresence.getState().load()
  }, [load])

  let content: React.ReactNode
  if (status === 'error' && count === 0) {
    content = (
      <main className="thread" aria-label="Inbox">
        <div className="empty" role="alert">
          <p>Couldn’t load your workspaces. {error?.message}</p>
          <button type="button" className="button" onClick={() => void load()}>
            Try again
          </button>
        </div>
      </main>
    )
  } else if (status === 'ready' && count === 0) {
    content = (
      <main className="thread" aria-label="Inbox">
        <div className="empty">
          <p>You’re not in any workspace yet.</p>
          <p className="muted small">Ask a workspace owner to add you, then sign in again.</p>
        </div>
      </main>
    )
  } else {
    content = (
      <>
        <ConversationList />
        <Thread />
        <OpenContactPanel />
      </>
    )
  }

  return (
    <div className="app-shell">
      <WorkspaceRail />
      <div className="app-main">
        <ConnectionBanner />
        <div className="panes">{content}</div>
        <footer className="statusbar">
          <LiveIndicator />
          <span className="muted small">
            Press <kbd>?</kbd> for shortcuts
          </span>
        </footer>
      </div>
    </div>
  )
}
