import { useEffect, useState } from 'react'
import type { SavedReply } from '../../../shared/notes-and-replies.ts'
import { expandVariables, type ReplyVariableValues } from '../../../shared/reply-variables.ts'
import { call } from '../api/api.ts'
import { PickerList, pickerOptionId, usePickerCursor } from './PickerList.tsx'

const listId = 'saved-reply-list'

type Loaded =
  { status: 'loading' } | { status: 'failed'; message: string } | { status: 'ready'; replies: SavedReply[] }

const matches = (reply: SavedReply, query: string) => {
  const wanted = query.trim().toLocaleLowerCase()
  return `${reply.title}\n${reply.body}`.toLocaleLowerCase().includes(wanted)
}

/**
 * The saved replies of a workspace (the team's and the agent's own), searched by title
 * and text. Each shows the text it will insert, variables filled from this conversation;
 * picking one hands that text to the composer, which refuses to send a variable left
 * unfilled. Focus is in the search field; Up/Down move, Enter picks, Esc closes.
 */
export function SavedReplyPicker({
  workspaceId,
  values,
  onPick,
  onClose,
}: {
  workspaceId: string
  values: ReplyVariableValues
  onPick(text: string): void
  /** `refocus`: return to the composer (Esc), not when focus went elsewhere. */
  onClose(refocus: boolean): void
}) {
  const [loaded, setLoaded] = useState<Loaded>({ status: 'loading' })
  const [query, setQuery] = useState('')

  useEffect(() => {
    let current = true
    void call('savedReplies.list', { workspaceId }).then((result) => {
      if (!current) return
      setLoaded(
        result.ok
          ? { status: 'ready', replies: result.value }
          : { status: 'failed', message: result.error.message },
      )
    })
    return () => {
      current = false
    }
  }, [workspaceId])

  const options = loaded.status === 'ready' ? loaded.replies.filter((reply) => matches(reply, query)) : []
  const cursor = usePickerCursor(options.length, query)
  const pick = (reply: SavedReply) => onPick(expandVariables(reply.body, values).text)

  return (
    <div className="picker saved-reply-picker" role="dialog" aria-label="Saved replies">
      <input
        className="picker-search"
        type="text"
        role="combobox"
        aria-label="Search saved replies"
        aria-expanded={options.length > 0}
        aria-controls={listId}
        aria-autocomplete="list"
        aria-activedescendant={cursor.active >= 0 ? pickerOptionId(listId, cursor.active) : undefined}
        placeholder="Search saved replies"
        autoFocus
        value={query}
        onChange={(event) => setQuery(event.target.value)}
        onBlur={() => onClose(false)}
        onKeyDown={(event) => {
          if (cursor.move(event.key)) event.preventDefault()
          else if (event.key === 'Enter') {
            event.preventDefault()
            const reply = options[cursor.active]
            if (reply) pick(reply)
          } else if (event.key === 'Escape') {
            event.preventDefault()
            onClose(true)
          }
        }}
      />
      {options.length > 0 ? (
        <PickerList
          id={listId}
          label="Saved replies"
          options={options}
          keyOf={(reply) => reply.id}
          active={cursor.active}
          onActivate={cursor.setActive}
          onPick={pick}
        >
          {(reply) => {
            const expansion = expandVariables(reply.body, values)
            return (
              <span className="picker-reply">
                <span className="picker-reply-head">
                  <span className="picker-title">{reply.title}</span>
                  <span className="picker-meta">{reply.ownerId === null ? 'Team' : 'Yours'}</span>
                </span>
                <span className="picker-preview">{expansion.text}</span>
                {!expansion.ok && <span className="picker-warn">Needs editing before it can be sent</span>}
              </span>
            )
          }}
        </PickerList>
      ) : (
        <p className="picker-empty small" role="status">
          {loaded.status === 'loading'
            ? 'Loading saved replies…'
            : loaded.status === 'failed'
              ? loaded.message
              : query
                ? `No saved reply matches “${query}”.`
                : 'This workspace has no saved replies yet.'}
        </p>
      )}
    </div>
  )
}
