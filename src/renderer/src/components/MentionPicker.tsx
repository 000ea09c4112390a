import { useLayoutEffect, useRef, useState, type KeyboardEvent, type RefObject } from 'react'
import type { Member } from '../../../shared/domain.ts'
import { mentionQueryAt, membersMatching } from '../lib/mentions.ts'
import { useWorkspaceMembers } from '../stores/members.ts'
import { useSession } from '../stores/session.ts'
import { MemberAvatar } from './MemberAvatar.tsx'
import { PickerList, pickerOptionId, usePickerCursor } from './PickerList.tsx'

const listId = 'mention-picker'
const shown = 8

/**
 * The @mention picker of a note: typing "@" lists the workspace's other members by name,
 * filtered by what follows. Focus stays in the text field, which points at the active
 * name (aria-activedescendant); Up/Down move, Enter or Tab insert "@Name ", Esc closes
 * it until another "@" is typed.
 */
export function useMentionPicker({
  enabled,
  workspaceId,
  text,
  setText,
  input,
}: {
  enabled: boolean
  workspaceId: string
  text: string
  setText(text: string): void
  input: RefObject<HTMLTextAreaElement | null>
}) {
  const members = useWorkspaceMembers(workspaceId)
  const me = useSession((state) => (state.session?.status === 'signed-in' ? state.session.user.id : null))
  const [caret, setCaret] = useState<number | null>(null)
  const [dismissedAt, setDismissedAt] = useState<number | null>(null)
  const placeCaret = useRef<number | null>(null)

  const typed = enabled && caret !== null ? mentionQueryAt(text, caret) : null
  const query = typed && typed.start !== dismissedAt ? typed : null
  const options = query
    ? membersMatching(
        query.query,
        members.filter((member) => member.userId !== me),
      ).slice(0, shown)
    : []
  const open = query !== null && options.length > 0
  const cursor = usePickerCursor(options.length, query ? `${query.start}:${query.query}` : '')

  // React writes the new value after the insert, which would move the caret to its end.
  useLayoutEffect(() => {
    const at = placeCaret.current
    if (at === null) return
    placeCaret.current = null
    input.current?.setSelectionRange(at, at)
  }, [text, input])

  const insert = (member: Member) => {
    if (!query || caret === null) return
    const mention = `@${member.displayName} `
    const next = text.slice(0, query.start) + mention + text.slice(caret)
    const at = query.start + mention.length
    placeCaret.current = at
    setCaret(at)
    setText(next)
  }

  return {
    /** Spread on the text field. */
    fieldProps: {
      onSelect: (event: { currentTarget: HTMLTextAreaElement }) =>
        setCaret(event.currentTarget.selectionStart),
      'aria-controls': open ? listId : undefined,
      'aria-activedescendant': open && cursor.active >= 0 ? pickerOptionId(listId, cursor.active) : undefined,
      'aria-autocomplete': 'list' as const,
    },
    /** Handles the picker's keys while it is open; true when it used the key. */
    onKeyDown(event: KeyboardEvent<HTMLTextAreaElement>): boolean {
      if (!open || !query) return false
      if (cursor.move(event.key)) {
        event.preventDefault()
        return true
      }
      if ((event.key === 'Enter' || event.key === 'Tab') && !event.shiftKey) {
        event.preventDefault()
        insert(options[cursor.active]!)
        return true
      }
      if (event.key === 'Escape') {
        event.preventDefault()
        setDismissedAt(query.start)
        return true
      }
      return false
    },
    picker: open ? (
      <div className="picker mention-picker">
        <PickerList
          id={listId}
          label="Mention a teammate"
          options={options}
          keyOf={(member) => member.userId}
          active={cursor.active}
          onActivate={cursor.setActive}
          onPick={insert}
        >
          {(member) => (
            <>
              <MemberAvatar member={member} />
              <span className="picker-title">{member.displayName}</span>
              <span className="picker-meta">{member.role}</span>
            </>
          )}
        </PickerList>
      </div>
    ) : null,
  }
}
