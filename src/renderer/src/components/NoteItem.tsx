import { memo } from 'react'
import type { Note } from '../../../shared/notes-and-replies.ts'
import { clockTime, fullDateTime } from '../lib/format.ts'
import { mentionSegments } from '../lib/mentions.ts'
import { useMemberName, useWorkspaceMembers } from '../stores/members.ts'
import { NoteIcon } from './Icons.tsx'

/**
 * An internal note in the thread: a labelled card, not a bubble, so it reads as the
 * team's words to each other however colours are seen. Mentions show the member's name.
 */
export const NoteItem = memo(function NoteItem({ note }: { note: Note }) {
  const author = useMemberName(note.workspaceId, note.createdBy ?? '') ?? 'A teammate'
  const members = useWorkspaceMembers(note.workspaceId)
  const mentioned = members.filter((member) => note.mentions.includes(member.userId))
  return (
    <div className="note-row" data-testid="note" data-id={note.id}>
      <article className="note" aria-label={`Internal note by ${author}`}>
        <header className="note-head">
          <span className="note-label">
            <NoteIcon /> Internal note
          </span>
          <span className="note-author">{author}</span>
          <time dateTime={note.createdAt} title={fullDateTime(note.createdAt)}>
            {clockTime(note.createdAt)}
          </time>
        </header>
        <p className="note-text">
          {mentionSegments(
            note.body,
            mentioned.map((member) => member.displayName),
          ).map((segment, index) =>
            segment.mention ? (
              <span key={index} className="mention">
                {segment.text}
              </span>
            ) : (
              segment.text
            ),
          )}
        </p>
      </article>
    </div>
  )
})
