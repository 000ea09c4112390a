import type { PresentMember } from '../../../shared/domain.ts'
import { usePresentIn } from '../stores/presence.ts'

export const firstName = (member: PresentMember) => member.displayName.split(/\s+/)[0] ?? member.displayName

const initials = (member: PresentMember) =>
  member.displayName
    .split(/\s+/)
    .slice(0, 2)
    .map((word) => word.charAt(0).toUpperCase())
    .join('')

const activity = (member: PresentMember) => `${member.displayName} is ${member.typing ? 'typing' : 'viewing'}`

/** Teammates in a conversation as small avatars in their own colours. */
export function PresenceAvatars({ members }: { members: PresentMember[] }) {
  if (members.length === 0) return null
  return (
    <span className="presence-avatars" role="img" aria-label={members.map(activity).join(', ')}>
      {members.map((member) => (
        <span
          key={member.userId}
          className={`presence-avatar${member.typing ? ' presence-typing' : ''}`}
          style={{ backgroundColor: member.avatarColor }}
          title={activity(member)}
          data-testid="presence-avatar"
        >
          {initials(member)}
        </span>
      ))}
    </span>
  )
}

/** A conversation row's teammates. */
export function RowPresence({ contactId }: { contactId: string }) {
  return <PresenceAvatars members={usePresentIn(contactId)} />
}

/** The thread header's line: "Ava is viewing", "Ava is typing…", "Ava and Ben are viewing". */
export function ThreadPresence({ contactId }: { contactId: string }) {
  const members = usePresentIn(contactId)
  if (members.length === 0) return null
  const typing = members.filter((member) => member.typing)
  const names = (list: PresentMember[]) => list.map(firstName).join(' and ')
  const text =
    typing.length > 0
      ? `${names(typing)} ${typing.length === 1 ? 'is' : 'are'} typing…`
      : `${names(members)} ${members.length === 1 ? 'is' : 'are'} viewing`
  return (
    <div className="thread-presence small" data-testid="thread-presence">
      <PresenceAvatars members={members} />
      <span aria-live="polite">{text}</span>
    </div>
  )
}
