/**
 * A note's text with its @mentions marked. A mention is stored as the member's id (the
 * note's `mentions`) and written in the text as "@" and the name it had then; the names
 * given here are the mentioned members' names now, so a renamed member's mention keeps
 * the text it was written with and is not marked.
 */
export function mentionSegments(
  text: string,
  names: readonly string[],
): { text: string; mention: boolean }[] {
  const wanted = [...new Set(names.filter((name) => name.length > 0))].sort((a, b) => b.length - a.length)
  const segments: { text: string; mention: boolean }[] = []
  let plain = ''
  for (let at = 0; at < text.length;) {
    const name = text[at] === '@' ? wanted.find((candidate) => text.startsWith(candidate, at + 1)) : undefined
    if (name === undefined) {
      plain += text[at]
      at++
      continue
    }
    if (plain) segments.push({ text: plain, mention: false })
    plain = ''
    segments.push({ text: `@${name}`, mention: true })
    at += name.length + 1
  }
  if (plain) segments.push({ text: plain, mention: false })
  return segments
}

/** The "@word" being typed just before `caret`, if any: what the mention picker filters by. */
export function mentionQueryAt(text: string, caret: number): { start: number; query: string } | null {
  const match = /(^|\s)@([^\s@]{0,40})$/u.exec(text.slice(0, caret))
  if (!match) return null
  return { start: caret - match[2]!.length - 1, query: match[2]! }
}

/** The members a note's text @mentions by their current name: what notes.add is told, by id. */
export function mentionedMembers<M extends { userId: string; displayName: string }>(
  text: string,
  members: readonly M[],
): M[] {
  const named = new Set(
    mentionSegments(
      text,
      members.map((member) => member.displayName),
    ).flatMap((segment) => (segment.mention ? [segment.text.slice(1)] : [])),
  )
  return members.filter((member) => named.has(member.displayName))
}

/** Members whose name has a word starting with `query` (any case), for the mention picker. */
export function membersMatching<M extends { displayName: string }>(
  query: string,
  members: readonly M[],
): M[] {
  const wanted = query.toLocaleLowerCase()
  return members.filter((member) =>
    member.displayName
      .toLocaleLowerCase()
      .split(/\s+/)
      .some((word) => word.startsWith(wanted)),
  )
}
