import { memo, useCallback, useEffect, useMemo, useRef, useState } from 'react'
import { useVirtualizer } from '@tanstack/react-virtual'
import type { Conversation, ConversationFilter, InboxView, SearchHit } from '../../../shared/domain.ts'
import type { AppError } from '../../../shared/errors.ts'
import { call } from '../api/api.ts'
import { countLabel, initials, relativeTime } from '../lib/format.ts'
import { shownPhone } from '../lib/phone-display.ts'
import { rangesOnShown } from '../../../shared/phone.ts'
import { filterConversations, useConversations } from '../stores/conversations.ts'
import { useMember, useMembers } from '../stores/members.ts'
import { useSession } from '../stores/session.ts'
import { useUi } from '../stores/ui.ts'
import { useActiveWorkspace } from '../stores/workspaces.ts'
import { Highlight } from './Highlight.tsx'
import { NewConversationButton } from './NewConversationButton.tsx'
import { MemberAvatar } from './MemberAvatar.tsx'
import { SearchIcon } from './Icons.tsx'
import { SyncProgressBar } from './SyncProgressBar.tsx'
import { RowPresence } from './PresenceAvatars.tsx'

const filters: ConversationFilter[] = ['Open', 'Pending', 'Done', 'All']
const views: { view: InboxView; label: string }[] = [
  { view: 'mine', label: 'Mine' },
  { view: 'unassigned', label: 'Unassigned' },
  { view: 'all', label: 'All' },
]
const rowHeight = 68

export function displayName(conversation: Conversation): string {
  return conversation.name?.trim() || shownPhone(conversation)
}

/** What a hit shows under its name: a matched number in the shown format, with the same digits marked. */
function hitSnippet(hit: SearchHit): { text: string; ranges: [number, number][] } {
  if (hit.field !== 'phone') return { text: hit.snippet, ranges: hit.highlights }
  const text = shownPhone(hit.conversation)
  return { text, ranges: rangesOnShown(hit.snippet, text, hit.highlights) }
}

/** Counts how often row contents render, when a benchmark asks for it by defining the counter. */
function countRowRender() {
  const stats = globalThis as { __inboxRowRenders?: number }
  if (stats.__inboxRowRenders !== undefined) stats.__inboxRowRenders += 1
}

function Avatar({ conversation }: { conversation: Conversation }) {
  const name = displayName(conversation)
  const letters = conversation.name ? initials(name) : '#'
  let hash = 0
  for (const char of conversation.id) hash = (hash * 31 + char.charCodeAt(0)) >>> 0
  return (
    <span className={`avatar hue-${hash % 8}`} aria-hidden="true">
      {letters}
    </span>
  )
}

export function StatusChip({ status }: { status: Conversation['status'] }) {
  return <span className={`chip chip-${status.toLowerCase()}`}>{status}</span>
}

/** Who owns the row's conversation, by avatar and (for screen readers) name. */
function RowOwner({ conversation }: { conversation: Conversation }) {
  const owner = useMember(conversation.workspaceId, conversation.assigneeId)
  if (!owner) return null
  return (
    <span className="row-owner" data-testid="row-owner" title={`Assigned to ${owner.displayName}`}>
      <MemberAvatar member={owner} />
      <span className="visually-hidden">Assigned to {owner.displayName}</span>
    </span>
  )
}

/** The row's content: re-renders only when its own conversation changes. */
const RowContent = memo(function RowContent({ id }: { id: string }) {
  const conversation = useConversations((state) => state.byId[id])
  countRowRender()
  if (!conversation) return null
  const unread = conversation.unreadCount
  return (
    <>
      <Avatar conversation={conversation} />
      <div className="row-main">
        <div className="row-top">
          <span className="row-name">{displayName(conversation)}</span>
          <time className="row-time" dateTime={conversation.lastMessageAt ?? undefined}>
            {relativeTime(conversation.lastMessageAt)}
          </time>
        </div>
        <div className="row-bottom">
          <span className="row-preview">{conversation.lastMessagePreview ?? 'No messages yet'}</span>
          <RowPresence contactId={id} />
          {conversation.status !== 'Open' && <StatusChip status={conversation.status} />}
          <RowOwner conversation={conversation} />
          {unread > 0 ? (
            <span className="badge" data-testid="unread-badge">
              {countLabel(unread)}
              <span className="visually-hidden"> unread</span>
            </span>
          ) : null}
        </div>
      </div>
    </>
  )
})

/** The positioned option around the content; moving rows re-renders only this shell. */
const ConversationRow = memo(function ConversationRow({
  id,
  index,
  count,
  top,
}: {
  id: string
  index: number
  count: number
  top: number
}) {
  const isOpen = useConversations((state) => state.openId === id)
  const isCursor = useConversations((state) => state.cursorId === id)
  const isUnread = useConversations((state) => (state.byId[id]?.unreadCount ?? 0) > 0)
  const open = useConversations((state) => state.open)
  return (
    <div
      role="option"
      id={`conversation-${id}`}
      aria-selected={isOpen}
      aria-setsize={count}
      aria-posinset={index + 1}
      className={`row${isUnread ? ' row-unread' : ''}${isCursor ? ' row-cursor' : ''}${isOpen ? ' row-open' : ''}`}
      style={{ transform: `translateY(${top}px)` }}
      data-testid="conversation-row"
      data-id={id}
      onClick={() => open(id)}
    >
      <RowContent id={id} />
    </div>
  )
})

function SkeletonRows() {
  return (
    <div className="skeleton-list" aria-hidden="true">
      {Array.from({ length: 8 }, (_, index) => (
        <div className="row skeleton-row" key={index}>
          <span className="avatar skeleton" />
          <div className="row-main">
            <span className="skeleton skeleton-line" style={{ width: `${50 + ((index * 17) % 35)}%` }} />
            <span className="skeleton skeleton-line" style={{ width: `${70 + ((index * 11) % 25)}%` }} />
          </div>
        </div>
      ))}
    </div>
  )
}

/**
 * `setSize` is the filter's whole count: while later pages load (`loading`), more rows
 * exist than are listed.
 */
function VirtualList({ ids, setSize, loading }: { ids: string[]; setSize: number; loading: boolean }) {
  const scrollRef = useRef<HTMLDivElement>(null)
  const cursorId = useConversations((state) => state.cursorId)
  // The virtualizer re-lays out every row whenever getItemKey changes identity: a fresh
  // function per render walked all 100,000 rows on every scroll frame (95.7 ms p95 at 10×).
  const getItemKey = useCallback((index: number) => ids[index]!, [ids])
  // eslint-disable-next-line react-hooks/incompatible-library -- the virtualizer returns fresh functions; this component simply is not auto-memoized
  const virtualizer = useVirtualizer({
    count: ids.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => rowHeight,
    overscan: 6,
    getItemKey,
  })
  const cursorIndex = cursorId ? ids.indexOf(cursorId) : -1

  useEffect(() => {
    if (cursorIndex >= 0) virtualizer.scrollToIndex(cursorIndex, { align: 'auto' })
  }, [cursorIndex, virtualizer])

  return (
    <div
      ref={scrollRef}
      id="conversation-list"
      className="list-scroll"
      role="listbox"
      aria-label="Conversations"
      tabIndex={0}
      aria-busy={loading}
      aria-activedescendant={cursorIndex >= 0 ? `conversation-${cursorId}` : undefined}
    >
      <div className="list-inner" style={{ height: virtualizer.getTotalSize() }}>
        {virtualizer.getVirtualItems().map((item) => (
          <ConversationRow
            key={item.key}
            id={ids[item.index]!}
            index={item.index}
            count={Math.max(setSize, ids.length)}
            top={item.start}
          />
        ))}
      </div>
    </div>
  )
}

function SearchResults({ hits, query }: { hits: SearchHit[]; query: string }) {
  const open = useConversations((state) => state.open)
  const openId = useConversations((state) => state.openId)
  const cursorId = useConversations((state) => state.cursorId)
  if (hits.length === 0) {
    return (
      <div className="empty small-empty" role="status">
        <p>No cached conversation matches “{query}”.</p>
        <p className="muted small">Search covers names, numbers and message text, even offline.</p>
      </div>
    )
  }
  return (
    <div
      id="conversation-list"
      className="list-scroll"
      role="listbox"
      aria-label={`Search results for ${query}`}
      tabIndex={0}
      aria-activedescendant={
        cursorId && hits.some((hit) => hit.conversation.id === cursorId) ? `hit-${cursorId}` : undefined
      }
    >
      {hits.map((hit) => (
        <div
          key={`${hit.conversation.id}-${hit.messageId ?? hit.field}`}
          id={`hit-${hit.conversation.id}`}
          role="option"
          aria-selected={openId === hit.conversation.id}
          className={`row search-row${cursorId === hit.conversation.id ? ' row-cursor' : ''}${openId === hit.conversation.id ? ' row-open' : ''}`}
          data-testid="search-hit"
          onClick={() => open(hit.conversation.id)}
        >
          <Avatar conversation={hit.conversation} />
          <div className="row-main">
            <div className="row-top">
              <span className="row-name">
                {hit.field === 'name' ? (
                  <Highlight text={hit.snippet} ranges={hit.highlights} />
                ) : (
                  displayName(hit.conversation)
                )}
              </span>
              <time className="row-time">{relativeTime(hit.conversation.lastMessageAt)}</time>
            </div>
            <div className="row-bottom">
              <span className="row-preview">
                {hit.field === 'name' ? (
                  (hit.conversation.lastMessagePreview ?? '')
                ) : (
                  <Highlight {...hitSnippet(hit)} />
                )}
              </span>
            </div>
          </div>
        </div>
      ))}
    </div>
  )
}

function useSearch(query: string, workspaceId: string | null) {
  const [state, setState] = useState<{ query: string; hits: SearchHit[]; error: AppError | null }>({
    query: '',
    hits: [],
    error: null,
  })
  const sequence = useRef(0)
  useEffect(() => {
    const trimmed = query.trim()
    if (!trimmed) return
    const mine = ++sequence.current
    void call('conversations.search', { query: trimmed, workspaceId, limit: 50 }).then((result) => {
      if (mine !== sequence.current) return
      setState(
        result.ok
          ? { query: trimmed, hits: result.value, error: null }
          : { query: trimmed, hits: [], error: result.error },
      )
    })
  }, [query, workspaceId])
  return state
}

export function ConversationList() {
  const workspace = useActiveWorkspace()
  const workspaceId = workspace?.id ?? null
  const list = useConversations((state) => (workspaceId ? state.lists[workspaceId] : undefined))
  const version = useConversations((state) => state.version)
  const filter = useConversations((state) => state.filter)
  const setFilter = useConversations((state) => state.setFilter)
  const view = useConversations((state) => state.view)
  const setView = useConversations((state) => state.setView)
  const me = useSession((state) => (state.session?.status === 'signed-in' ? state.session.user.id : null))
  const load = useConversations((state) => state.load)
  const query = useUi((state) => state.query)
  const setQuery = useUi((state) => state.setQuery)
  const setVisibleIds = useUi((state) => state.setVisibleIds)
  const search = useSearch(query, workspaceId)
  const searching = query.trim().length > 0

  // `version` marks changes to the in-place map, so statuses are re-counted when they change.
  const {
    ids,
    counts: listed,
    views: listedViews,
  } = useMemo(
    () => filterConversations(list?.order ?? [], useConversations.getState().byId, filter, view, me),
    // eslint-disable-next-line react-hooks/exhaustive-deps -- version stands for the map's contents
    [list, version, filter, view, me],
  )
  // Until every page is in, only the host can count the whole workspace (its status counts cover every owner).
  const counts = (view === 'all' ? list?.counts : null) ?? listed
  const viewCounts = list?.views ?? listedViews
  const hitIds = useMemo(() => [...new Set(search.hits.map((hit) => hit.conversation.id))], [search.hits])

  useEffect(() => {
    if (!workspaceId) return
    void load(workspaceId)
    void useMembers.getState().load(workspaceId)
  }, [workspaceId, load])

  useEffect(() => {
    setVisibleIds(searching ? hitIds : ids)
  }, [searching, hitIds, ids, setVisibleIds])

  let body: React.ReactNode
  if (searching) {
    body = search.error ? (
      <div className="empty small-empty" role="alert">
        <p>Search failed: {search.error.message}</p>
      </div>
    ) : search.query ? (
      <SearchResults hits={search.hits} query={search.query} />
    ) : (
      <SkeletonRows />
    )
  } else if (!list || (list.status === 'loading' && ids.length === 0)) {
    body = <SkeletonRows />
  } else if (list.status === 'error') {
    body = (
      <div className="empty small-empty" role="alert">
        <p>Couldn’t load conversations. {list.error?.message}</p>
        <button type="button" className="button" onClick={() => workspaceId && void load(workspaceId)}>
          Try again
        </button>
      </div>
    )
  } else if (ids.length === 0) {
    body = (
      <div className="empty small-empty" role="status">
        <p>{filter === 'All' ? 'No conversations yet.' : `No ${filter.toLowerCase()} conversations.`}</p>
        <p className="muted small">
          {filter === 'All'
            ? 'When a customer texts your number, the conversation appears here.'
            : 'Nothing waiting here.'}
        </p>
        {filter !== 'All' && counts.All > 0 && (
          <button type="button" className="button" onClick={() => setFilter('All')}>
            Show all {counts.All}
          </button>
        )}
      </div>
    )
  } else {
    body = <VirtualList ids={ids} setSize={counts[filter]} loading={list.status === 'loading'} />
  }

  return (
    <section className="list-pane" aria-label="Conversation list">
      <header className="list-header">
        <div className="list-title-row">
          <h1 className="list-title">{workspace?.name ?? 'Inbox'}</h1>
          <NewConversationButton />
        </div>
        {workspaceId && <SyncProgressBar workspaceId={workspaceId} />}
        <div className="search">
          <SearchIcon />
          <input
            id="conversation-search"
            type="search"
            placeholder="Search names, numbers, messages"
            aria-label="Search conversations"
            aria-keyshortcuts="Control+K Meta+K"
            value={query}
            onChange={(event) => setQuery(event.target.value)}
            onKeyDown={(event) => {
              if (event.key === 'Escape') {
                setQuery('')
                document.getElementById('conversation-list')?.focus()
              } else if (event.key === 'ArrowDown') {
                event.preventDefault()
                document.getElementById('conversation-list')?.focus()
              }
            }}
          />
          <kbd className="search-kbd" aria-hidden="true">
            Ctrl K
          </kbd>
        </div>
        <div className="views" role="group" aria-label="Whose conversations">
          {views.map(({ view: name, label }) => (
            <button
              key={name}
              type="button"
              className="view"
              aria-pressed={view === name}
              data-testid={`view-${name}`}
              onClick={() => setView(name)}
            >
              {label}
              {viewCounts[name].unread > 0 && (
                <span className="view-unread" data-testid={`view-${name}-unread`}>
                  {countLabel(viewCounts[name].unread)}
                  <span className="visually-hidden"> unread</span>
                </span>
              )}
            </button>
          ))}
        </div>
        <div className="filters" role="group" aria-label="Filter by status">
          {filters.map((name) => (
            <button
              key={name}
              type="button"
              className="filter"
              aria-pressed={filter === name}
              data-testid={`filter-${name}`}
              onClick={() => setFilter(name)}
            >
              {name} <span className="filter-count">{counts[name]}</span>
            </button>
          ))}
        </div>
      </header>
      {body}
    </section>
  )
}
