import { memo, useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react'
import { useVirtualizer } from '@tanstack/react-virtual'
import type { Conversation, ConversationStatus, Message } from '../../../shared/domain.ts'
import { conversationStatuses } from '../../../shared/domain.ts'
import { explainFailure } from '../../../shared/twilio-errors.ts'
import { clockTime, fullDateTime } from '../lib/format.ts'
import { shownPhone } from '../lib/phone-display.ts'
import { interleave, timelineRows, type TimelineRow } from '../lib/timeline.ts'
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
    <div
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
    </div>
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
/** Pixels from the top within which the next older page loads. */
const loadOlderWithin = 240

/** First guesses at row heights, before a row is measured on screen. */
const estimatedHeight = { message: 64, note: 112, heading: 44 }
/** The list's own padding, in the virtual list's coordinates so offsets match the scroll position. */
const listPadding = { start: 12, end: 16, olderHint: 36 }

function Row({ row }: { row: TimelineRow }) {
  return (
    <>
      {row.startsDay && (
        <h3 className="day-label">
          <span>{row.day}</span>
        </h3>
      )}
      {row.item.kind === 'note' ? <NoteItem note={row.item.note} /> : <Bubble message={row.item.message} />}
    </>
  )
}

/**
 * The thread as a virtual list: only the rows on screen (and a few either side) are in
 * the page, so a 50,000-message history costs what a short one does. Anchored at the
 * end, as a chat is: older pages prepended above keep the row being read in place, and
 * a view at the bottom follows what arrives.
 */
function Timeline({ rows, loadedCount }: { rows: TimelineRow[]; loadedCount: number }) {
  const hasMore = useThread((state) => state.hasMore)
  const loadingOlder = useThread((state) => state.loadingOlder)
  const loadOlder = useThread((state) => state.loadOlder)
  const scrollRef = useRef<HTMLDivElement>(null)
  const pinned = useRef(true)
  const lastKey = useRef<string | undefined>(undefined)
  const [unseen, setUnseen] = useState(0)
  const getItemKey = useCallback((index: number) => rows[index]!.item.id, [rows])
  const estimateSize = useCallback(
    (index: number) => {
      const row = rows[index]!
      return estimatedHeight[row.item.kind] + (row.startsDay ? estimatedHeight.heading : 0)
    },
    [rows],
  )
  // eslint-disable-next-line react-hooks/incompatible-library -- the virtualizer returns fresh functions; this component simply is not auto-memoized
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scrollRef.current,
    estimateSize,
    getItemKey,
    overscan: 8,
    paddingStart: listPadding.start + (hasMore ? listPadding.olderHint : 0),
    paddingEnd: listPadding.end,
    anchorTo: 'end',
    followOnAppend: true,
    scrollEndThreshold: pinSlack,
    // Near the top, the next older page loads. The offset is the list's own: right after a
    // page arrives the virtualizer may hold its correction until the scroll ends, and the
    // element's scrollTop still reads 0 while the agent is looking at what they read before.
    onChange: (instance) => {
      if (instance.isScrolling && (instance.scrollOffset ?? 0) < loadOlderWithin) void loadOlder()
    },
  })

  // Runs before paint. Opening lands on the newest message; a reply going out brings the
  // view down; a message arriving while the agent reads history is counted in the pill.
  useLayoutEffect(() => {
    const last = rows[rows.length - 1]
    const key = last?.item.id
    if (key === lastKey.current) return
    const opening = lastKey.current === undefined
    lastKey.current = key
    if (opening) {
      virtualizer.scrollToEnd()
      return
    }
    // A note is the team's, not the customer's: it neither moves the view nor counts as a new message.
    if (pinned.current || !last || last.item.kind === 'note') return
    if (last.item.message.direction === 'outbound') {
      pinned.current = true
      virtualizer.scrollToEnd()
    } else {
      setUnseen((count) => count + 1)
    }
  }, [rows, virtualizer])

  const onScroll = () => {
    const element = scrollRef.current
    if (!element) return
    pinned.current = element.scrollHeight - element.scrollTop - element.clientHeight < pinSlack
    if (pinned.current && unseen) setUnseen(0)
  }

  const jumpToLatest = () => {
    pinned.current = true
    virtualizer.scrollToEnd()
    setUnseen(0)
  }

  const items = virtualizer.getVirtualItems()
  const offset = virtualizer.scrollOffset ?? 0
  const top = items.find((item) => item.end > offset)
  const topRow = top && offset > 0 ? rows[top.index] : undefined
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
        aria-busy={loadingOlder}
        data-loaded={loadedCount}
        data-has-older={hasMore}
      >
        {topRow && (
          <div className="day-current" aria-hidden="true">
            <span className="day-label">
              <span>{topRow.day}</span>
            </span>
          </div>
        )}
        <ol className="timeline" style={{ height: virtualizer.getTotalSize() }}>
          {hasMore && (
            <li className="older-hint muted small" style={{ top: listPadding.start }}>
              {loadingOlder ? 'Loading older messages…' : 'Scroll up for older messages'}
            </li>
          )}
          {items.map((item) => (
            <li
              key={item.key}
              data-index={item.index}
              ref={virtualizer.measureElement}
              className="timeline-row"
              style={{ transform: `translateY(${item.start}px)` }}
            >
              <Row row={rows[item.index]!} />
            </li>
          ))}
        </ol>
        {loadedCount === 0 && <p className="empty muted">No messages yet. Say hello below.</p>}
      </div>
      {unseen > 0 && (
        <button type="button" className="new-pill" onClick={jumpToLatest} data-testid="new-messages-pill">
          <ArrowDownIcon /> {unseen === 1 ? '1 new message' : `${unseen} new messages`}
        </button>
      )}
    </div>
  )
}

function Messages({ contactId }: { contactId: string }) {
  const messages = useThread((state) => state.messages)
  const status = useThread((state) => state.status)
  const error = useThread((state) => state.error)
  const hasMore = useThread((state) => state.hasMore)
  const reopen = useThread((state) => state.open)
  const notes = useNotes((state) => state.notes)
  const rows = useMemo(() => timelineRows(interleave(messages, notes, hasMore)), [messages, notes, hasMore])

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
  return <Timeline rows={rows} loadedCount={messages.length} />
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
