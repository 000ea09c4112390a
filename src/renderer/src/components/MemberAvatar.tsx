import type { Member } from '../../../shared/domain.ts'
import { initials } from '../lib/format.ts'

/** A teammate's initials on their own colour (each of the palette keeps white text at 4.5:1). */
export function MemberAvatar({ member }: { member: Member }) {
  return (
    <span className="member-avatar" style={{ background: member.avatarColor }} aria-hidden="true">
      {initials(member.displayName)}
    </span>
  )
}
