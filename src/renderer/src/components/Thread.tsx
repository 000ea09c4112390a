import { memo, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react'
import type { Conversation, ConversationStatus, Message } from '../../../shared/domain.ts'
import { conversationStatuses } from '../../../shared/domain.ts'
import { explainFailure } from '../../../shared/twilio-errors.ts'
import { clockTime, fullDateTime } from '../lib/format.ts'
import { shownPhone } from '../lib/phone-display.ts'
import { groupByDay, interleave } from '../lib/timeline.ts'
import { useConnection } from '../stores/connection.ts'
import { useConversations } from '../stores/conversations.ts'
import { useMemberName } from '../stores/members.ts'
import { useNotes } from '../stores/notes.ts'
import { reportOpen } from '../stores/presence.ts'
import { useThread } from '../stores/thread.ts'
import { useActiveWorkspace } from '../stores/workspaces.ts'
import { AssigneeMenu } from './AssigneeMenu.tsx'
import { Composer } from './Composer.tsx'
import { ContactPanelToggle } from './ContactPanel.tsx'
import { displayName } from './ConversationList.tsx'
import { ArrowDownIcon, ChatIcon } from './Icons.tsx'
import { NoteItem } from './NoteItem.tsx'
import { OptOutMark } from './OptOutNotice.tsx'
import { ThreadPresence } from './PresenceAvatars.tsx'

const statusText: Record<Message['status'], string> = {
  queued: 'Queued, sends when online',
  pending: 'Sending…',
  sent: 'Sent',
  delivered: 'Delivered',
  failed: 'Not delivered',
}

/**
 * Why a reply failed and what to do: the explained sentence and next step when the
 * code is one we know, else what the relay said. Retry only where it can help (a
 * failure we cannot explain may be passing, so it keeps Retry). The raw code stays
 * in the details, for whoever takes it to Twilio's support.
 */
function FailureNote({
  message,
  retrying,
  onRetry,
}: {
  message: Message
  retrying: boolean
  onRetry: () => void
}) {
  const explanation = explainFailure(message.errorCode)
  const code = message.errorCode
  return (
    <div className="bubble-error" role="alert" data-testid="failure">
      <p className="failure-sentence">
        {explanation?.sentence ?? message.errorMessage ?? 'The carrier refused this message.'}
      </p>
      {explanation && <p className="failure-next">{explanation.nextStep}</p>}
      {(explanation?.retryCanHelp ?? true) && (
        <button type="button" className="link" disabled={retrying} onClick={onRetry}>
          {retrying ? 'Retrying…' : 'Retry'}
        </button>
      )}
      {code && (
        <details className="failure-details">
          <summary>Details</summary>
          <p>
            {/^\d+$/.test(code) ? `Twilio error ${code}` : `Error: ${code}`}
            {explanation && message.errorMessage ? ` · ${message.errorMessage}` : ''}
          </p>
        </details>
      )}
    </div>
  )
}

const Bubble = memo(function Bubble({ message }: { message: Message }) {
  const retry = useThread((state) => state.retry)
  // Every send is queued first; while the app is live it is on its way, so it reads as sending.
  // Only cut off does "Queued" say something: it waits for the connection.
  const live = useConnection((state) => state.state.status === 'live')
  const status = message.status === 'queued' && live ? 'pending' : message.status
  const [retrying, setRetrying] = useState(false)
  const outbound = message.direction === 'outbound'
  const author = useMemberName(message.workspaceId, message.createdBy ?? '')
  return (
    <li
      className={`bubble-row ${outbound ? 'out' : 'in'}`}
      data-testid="message"
      data-status={message.status}
      data-id={message.id}
    >
      <div className={`bubble${message.status === 'failed' ? ' bubble-failed' : ''}`}>
        <p className="bubble-text">{message.content}</p>
        <div className="bubble-meta">
          {outbound && message.createdBy && author && (
            <span className="bubble-author" data-testid="message-author">
              {author}
              {' · '}
            </span>
          )}
          <time dateTime={message.createdAt} title={fullDateTime(message.createdAt)}>
            {clockTime(message.createdAt)}
          </time>
          {outbound && (
            <span className={`delivery delivery-${status}`} data-testid="delivery-status">
              {' · '}
              {statusText[status]}
            </span>
          )}
        </div>
      </div>
      {outbound && message.status === 'failed' && message.errorCode === 'collision' && (
        <p className="bubble-error small">
          Held back: new messages came first. Send it anyway or edit it below.
        </p>
      )}
      {outbound && message.status === 'failed' && message.errorCode !== 'collision' && (
        <FailureNote
          message={message}
          retrying={retrying}
          onRetry={() => {
            setRetrying(true)
            void retry(message.id).finally(() => setRetrying(false))
          }}
        />
      )}
    </li>
  )
})

function ThreadHeader({ conversation }: { conversation: Conversation }) {
  const setStatus = useConversations((state) => state.setStatus)
  const markUnread = useConversations((state) => state.markUnread)
  const [error, setError] = useState<string | null>(null)
  const change = (status: ConversationStatus) => {
    void setStatus(conversation.id, status).then((failure) => setError(failure ? failure.message : null))
  }
  return (
    <header className="thread-header">
      <div className="thread-who">
        <h2 className="thread-name">{displayName(conversation)}</h2>
        {conversation.name && <span className="muted small">{shownPhone(conversation)}</span>}
        <ThreadPresence contactId={conversation.id} />
        <OptOutMark conversation={conversation} />
      </div>
      <div className="thread-actions">
        <AssigneeMenu conversation={conversation} onError={setError} />
        <ContactPanelToggle />
        <div className="segmented" role="radiogroup" aria-label="Conversation status">
          {conversationStatuses.map((status) => (
            <button
              key={status}
              type="button"
              role="radio"
              aria-checked={conversation.status === status}
              className="segment"
              data-testid={`status-${status}`}
              onClick={() => change(status)}
            >
              {status}
            </button>
          ))}
        </div>
        <button
          type="button"
          className="button ghost"
          onClick={() =>
            void markUnread(conversation.id).then((failure) => setError(failure ? failure.message : null))
          }
          title="Mark unread (U)"
        >
          Mark unread
        </button>
      </div>
      {error && (
        <p className="form-error thread-action-error" role="alert">
          {error}
        </p>
      )}
    </header>
  )
}

function MessagesSkeleton() {
  return (
    <div className="messages-skeleton" aria-hidden="true">
      {[60, 40, 72, 30, 55].map((width, index) => (
        <div key={index} className={`bubble-row ${index % 2 ? 'out' : 'in'}`}>
          <span className="skeleton skeleton-bubble" style={{ width: `${width}%` }} />
        </div>
      ))}
    </div>
  )
}

/** Pixels from the bottom within which the view counts as pinned. */
const pinSlack = 48

function Messages({ contactId }: { contactId: string }) {
  const messages = useThread((state) => state.messages)
  const status = useThread((state) => state.status)
  const error = useThread((state) => state.error)
  const hasMore = useThread((state) => state.hasMore)
  const loadingOlder = useThread((state) => state.loadingOlder)
  const loadOlder = useThread((state) => state.loadOlder)
  const reopen = useThread((state) => state.open)
  const scrollRef = useRef<HTMLDivElement>(null)
  const pinned = useRef(true)
  const previous = useRef<{
    firstId: string | undefined
    lastId: string | undefined
    height: number
    count: number
  }>({
    firstId: undefined,
    lastId: undefined,
    height: 0,
    count: 0,
  })
  const [unseen, setUnseen] = useState(0)
  const notes = useNotes((state) => state.notes)
  const items = useMemo(() => interleave(messages, notes, hasMore), [messages, notes, hasMore])
  const groups = useMemo(() => groupByDay(items), [items])

  // Runs before paint: older history is prepended without moving what the agent reads.
  useLayoutEffect(() => {
    const element = scrollRef.current
    if (!element) return
    const before = previous.current
    const firstId = messages[0]?.id
    const last = messages[messages.length - 1]
    if (before.count > 0 && firstId !== before.firstId && last?.id === before.lastId) {
      element.scrollTop += element.scrollHeight - before.height
    } else if (last && last.id !== before.lastId) {
      const mine = last.direction === 'outbound' && before.count > 0
      if (pinned.current || mine || before.count === 0) {
        element.scrollTop = element.scrollHeight
        pinned.current = true
      } else {
        setUnseen((count) => count + 1)
      }
    }
    previous.current = { firstId, lastId: last?.id, height: element.scrollHeight, count: messages.length }
  }, [messages])

  const onScroll = () => {
    const element = scrollRef.current
    if (!element) return
    pinned.current = element.scrollHeight - element.scrollTop - element.clientHeight < pinSlack
    if (pinned.current && unseen) setUnseen(0)
    if (element.scrollTop < 240 && hasMore && !loadingOlder) void loadOlder()
  }

  const jumpToLatest = () => {
    const element = scrollRef.current
    if (!element) return
    element.scrollTop = element.scrollHeight
    pinned.current = true
    setUnseen(0)
  }

  if (status === 'loading') return <MessagesSkeleton />
  if (status === 'error') {
    return (
      <div className="empty" role="alert">
        <p>Couldn’t load this conversation. {error?.message}</p>
        <button type="button" className="button" onClick={() => void reopen(contactId)}>
          Try again
        </button>
      </div>
    )
  }
  return (
    <div className="messages-wrap">
      <div
        ref={scrollRef}
        className="messages"
        onScroll={onScroll}
        tabIndex={0}
        role="log"
        aria-label="Messages"
        aria-live="polite"
      >
        {hasMore && (
          <p className="older-hint muted small">
            {loadingOlder ? 'Loading older messages…' : 'Scroll up for older messages'}
          </p>
        )}
        {messages.length === 0 && <p className="empty muted">No messages yet. Say hello below.</p>}
        {groups.map((group) => (
          <section key={group.key} className="day" aria-label={group.label}>
            <h3 className="day-label">
              <span>{group.label}</span>
            </h3>
            <ol className="day-messages">
              {group.items.map((item) =>
                item.kind === 'note' ? (
                  <NoteItem key={item.id} note={item.note} />
                ) : (
                  <Bubble key={item.id} message={item.message} />
                ),
              )}
            </ol>
          </section>
        ))}
      </div>
      {unseen > 0 && (
        <button type="button" className="new-pill" onClick={jumpToLatest} data-testid="new-messages-pill">
          <ArrowDownIcon /> {unseen === 1 ? '1 new message' : `${unseen} new messages`}
        </button>
      )}
    </div>
  )
}

export function Thread() {
  const openId = useConversations((state) => state.openId)
  const conversation = useConversations((state) => (state.openId ? state.byId[state.openId] : undefined))
  const openThread = useThread((state) => state.open)
  const workspace = useActiveWorkspace()

  useEffect(() => {
    void openThread(openId)
    void useNotes.getState().open(openId)
  }, [openId, openThread])

  // Teammates see which conversation this agent has open (none while none is shown).
  const shownId = conversation && conversation.workspaceId === workspace?.id ? conversation.id : null
  useEffect(() => reportOpen(shownId), [shownId])

  // A message into the open conversation is read as it arrives, while the agent is here.
  const unread = conversation?.unreadCount ?? 0
  useEffect(() => {
    if (openId && unread > 0 && document.hasFocus()) useConversations.getState().open(openId)
  }, [openId, unread])

  if (!openId || !conversation || conversation.workspaceId !== workspace?.id) {
    return (
      <main className="thread thread-empty" aria-label="Conversation">
        <div className="empty">
          <ChatIcon />
          <p>Select a conversation</p>
          <p className="muted small">
            Use <kbd>↑</kbd> <kbd>↓</kbd> or <kbd>J</kbd> <kbd>K</kbd> to move and <kbd>Enter</kbd> to open.
            Press <kbd>?</kbd> for all shortcuts.
          </p>
        </div>
      </main>
    )
  }
  return (
    <main className="thread" aria-label={`Conversation with ${displayName(conversation)}`}>
      <ThreadHeader conversation={conversation} />
      <Messages key={conversation.id} contactId={conversation.id} />
      <Composer conversation={conversation} workspace={workspace} />
    </main>
  )
}
