import { useEffect, useRef, useState } from 'react'
import type { Conversation, Member } from '../../../shared/domain.ts'
import { useConversations } from '../stores/conversations.ts'
import { useMemberName, useWorkspaceMembers } from '../stores/members.ts'
import { useSession } from '../stores/session.ts'
import { useUi } from '../stores/ui.ts'
import { MemberAvatar } from './MemberAvatar.tsx'

/**
 * The thread header's owner: a menu button listing nobody and every member, mine
 * first. Opened by click or by the A shortcut; arrows move, Enter picks, Esc closes.
 */
export function AssigneeMenu({
  conversation,
  onError,
}: {
  conversation: Conversation
  onError(message: string | null): void
}) {
  const members = useWorkspaceMembers(conversation.workspaceId)
  const me = useSession((state) => (state.session?.status === 'signed-in' ? state.session.user.id : null))
  const open = useUi((state) => state.assigneeMenuOpen)
  const setOpen = useUi((state) => state.setAssigneeMenuOpen)
  const assign = useConversations((state) => state.assign)
  const [busy, setBusy] = useState(false)
  const buttonRef = useRef<HTMLButtonElement>(null)
  const menuRef = useRef<HTMLUListElement>(null)
  const owner = members.find((member) => member.userId === conversation.assigneeId)
  const ownerName = useMemberName(conversation.workspaceId, conversation.assigneeId ?? '')
  // A name, never an id: while the members load, an owned conversation reads "Assigned".
  const label = conversation.assigneeId === null ? 'Unassigned' : (ownerName ?? 'Assigned')
  const choices: { id: string | null; label: string; member: Member | null }[] = [
    { id: null, label: 'Unassigned', member: null },
    ...[...members]
      .sort((a, b) => Number(b.userId === me) - Number(a.userId === me))
      .map((member) => ({
        id: member.userId,
        label: member.userId === me ? `${member.displayName} (you)` : member.displayName,
        member,
      })),
  ]

  useEffect(() => {
    if (!open) return
    const checked = menuRef.current?.querySelector<HTMLElement>('[aria-checked="true"]')
    ;(checked ?? menuRef.current?.querySelector<HTMLElement>('[role="menuitemradio"]'))?.focus()
  }, [open])

  const close = (refocus: boolean) => {
    setOpen(false)
    if (refocus) buttonRef.current?.focus()
  }
  const pick = (assigneeId: string | null) => {
    close(true)
    if (assigneeId === conversation.assigneeId) return
    setBusy(true)
    void assign(conversation.id, assigneeId).then((failure) => {
      setBusy(false)
      onError(failure ? failure.message : null)
    })
  }
  const onMenuKey = (event: React.KeyboardEvent) => {
    const items = [...(menuRef.current?.querySelectorAll<HTMLElement>('[role="menuitemradio"]') ?? [])]
    const at = items.indexOf(document.activeElement as HTMLElement)
    const focus = (index: number) => items[(index + items.length) % items.length]?.focus()
    if (event.key === 'ArrowDown') focus(at + 1)
    else if (event.key === 'ArrowUp') focus(at - 1)
    else if (event.key === 'Home') focus(0)
    else if (event.key === 'End') focus(items.length - 1)
    else if (event.key === 'Escape' || event.key === 'Tab') close(event.key === 'Escape')
    else return
    event.preventDefault()
    event.stopPropagation()
  }

  return (
    <div
      className="assignee"
      onBlur={(event) => {
        if (open && !event.currentTarget.contains(event.relatedTarget as Node | null)) close(false)
      }}
    >
      <button
        ref={buttonRef}
        type="button"
        className="button ghost assignee-button"
        aria-haspopup="menu"
        aria-expanded={open}
        aria-controls={open ? 'assignee-menu' : undefined}
        aria-keyshortcuts="A"
        title="Assign (A)"
        data-testid="assignee-button"
        // Not disabled while the change is on its way: a disabled button would drop the focus.
        aria-busy={busy}
        onClick={() => setOpen(!open && !busy)}
      >
        {owner ? (
          <MemberAvatar member={owner} />
        ) : (
          <span className="member-avatar member-avatar-none" aria-hidden="true" />
        )}
        <span className="assignee-name">
          <span className="visually-hidden">Assignee: </span>
          {label}
        </span>
      </button>
      {open && (
        <ul
          ref={menuRef}
          id="assignee-menu"
          className="menu"
          role="menu"
          aria-label="Assign to"
          onKeyDown={onMenuKey}
        >
          {choices.map((choice) => (
            <li key={choice.id ?? 'nobody'} role="none">
              <button
                type="button"
                role="menuitemradio"
                aria-checked={conversation.assigneeId === choice.id}
                className="menu-item"
                tabIndex={-1}
                data-testid={`assign-${choice.id ?? 'nobody'}`}
                onClick={() => pick(choice.id)}
              >
                {choice.member ? (
                  <MemberAvatar member={choice.member} />
                ) : (
                  <span className="member-avatar member-avatar-none" aria-hidden="true" />
                )}
                {choice.label}
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  )
}
