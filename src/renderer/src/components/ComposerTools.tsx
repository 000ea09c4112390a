import { useMemo, useState, type KeyboardEvent, type RefObject } from 'react'
import type { Conversation, Workspace } from '../../../shared/domain.ts'
import type { AppError } from '../../../shared/errors.ts'
import { describeVariableProblems, expandVariables } from '../../../shared/reply-variables.ts'
import { mentionedMembers } from '../lib/mentions.ts'
import { useReplyVariableValues } from '../lib/reply-variable-values.ts'
import { useComposerMode, useIsNoteMode } from '../stores/composer-mode.ts'
import { useWorkspaceMembers } from '../stores/members.ts'
import { useNotes } from '../stores/notes.ts'
import { ComposerModeToggle } from './ComposerModeToggle.tsx'
import { useMentionPicker } from './MentionPicker.tsx'
import { SavedReplyPicker } from './SavedReplyPicker.tsx'

/** What Send would deliver now: the text, or why it cannot go. */
export type Outgoing = { ok: true; text: string } | { ok: false; problem: string }

/**
 * The team's tools in the composer: reply or internal note (Ctrl/⌘+I or the toggle),
 * the @mention picker in a note, and saved replies (`/` in an empty reply, or Ctrl/⌘+/).
 * A reply's {{variables}} are filled from the conversation; one left unfilled (unknown,
 * or no value here) is a problem that blocks Send, so it is never sent raw.
 */
export function useComposerTools({
  conversation,
  workspace,
  draft,
  setDraft,
  input,
}: {
  conversation: Conversation
  workspace: Workspace
  draft: string
  setDraft(text: string): void
  /** The composer's text field. */
  input: RefObject<HTMLTextAreaElement | null>
}) {
  const note = useIsNoteMode(conversation.id)
  const setNote = (next: boolean) => useComposerMode.getState().setNote(conversation.id, next)
  const members = useWorkspaceMembers(workspace.id)
  const values = useReplyVariableValues(conversation, workspace)
  const [savedRepliesOpen, setSavedRepliesOpen] = useState(false)
  const mentions = useMentionPicker({
    enabled: note,
    workspaceId: workspace.id,
    text: draft,
    setText: setDraft,
    input,
  })

  const outgoing = useMemo((): Outgoing => {
    if (note) return { ok: true, text: draft }
    const expansion = expandVariables(draft, values)
    return expansion.ok
      ? { ok: true, text: expansion.text }
      : { ok: false, problem: describeVariableProblems(expansion.problems) }
  }, [note, draft, values])

  const insertSavedReply = (text: string) => {
    setSavedRepliesOpen(false)
    const field = input.current
    const start = field?.selectionStart ?? draft.length
    const end = field?.selectionEnd ?? draft.length
    setDraft(draft.slice(0, start) + text + draft.slice(end))
    field?.focus()
  }

  return {
    note,
    outgoing,
    fieldProps: mentions.fieldProps,
    addNote: (body: string): Promise<AppError | null> =>
      useNotes.getState().add(
        conversation.id,
        body,
        mentionedMembers(body, members).map((member) => member.userId),
      ),
    /** Handles the tools' keys in the text field; true when one used the key. */
    onKeyDown(event: KeyboardEvent<HTMLTextAreaElement>): boolean {
      if (mentions.onKeyDown(event)) return true
      const mod = (event.ctrlKey || event.metaKey) && !event.altKey
      const key = event.key.toLowerCase()
      if (mod && !event.shiftKey && key === 'i') setNote(!note)
      else if (!note && ((mod && key === '/') || (key === '/' && !mod && draft === '')))
        setSavedRepliesOpen(true)
      else return false
      event.preventDefault()
      return true
    },
    modeToggle: (
      <ComposerModeToggle
        note={note}
        onChange={(next) => {
          setNote(next)
          input.current?.focus()
        }}
      />
    ),
    pickers: (
      <>
        {mentions.picker}
        {savedRepliesOpen && !note && (
          <SavedReplyPicker
            workspaceId={workspace.id}
            values={values}
            onPick={insertSavedReply}
            onClose={(refocus) => {
              setSavedRepliesOpen(false)
              if (refocus) input.current?.focus()
            }}
          />
        )}
      </>
    ),
  }
}
