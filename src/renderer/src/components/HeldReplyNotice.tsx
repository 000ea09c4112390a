import { useState } from 'react'
import type { Conversation, Member, Message } from '../../../shared/domain.ts'
import { clockTime } from '../lib/format.ts'
import { useWorkspaceMembers } from '../stores/members.ts'
import { useThread } from '../stores/thread.ts'
import { displayName } from './ConversationList.tsx'

/** Who wrote a message the agent had not seen: the customer, or the teammate by name. */
function authorOf(
  message: Pick<Message, 'direction' | 'createdBy'>,
  conversation: Conversation,
  members: Member[],
): string {
  if (message.direction === 'inbound') return displayName(conversation)
  return members.find((member) => member.userId === message.createdBy)?.displayName ?? 'A teammate'
}

/**
 * A reply the collision guard held back: what arrived since the agent last looked, and the
 * choice the guard leaves to them, to send it anyway or take it back to edit.
 */
export function HeldReplyNotice({ reply, conversation }: { reply: Message; conversation: Conversation }) {
  const arrived = useThread((state) => state.arrivedBefore[reply.id])
  const sendAnyway = useThread((state) => state.sendAnyway)
  const edit = useThread((state) => state.edit)
  const members = useWorkspaceMembers(conversation.workspaceId)
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const act = (action: (id: string) => Promise<{ message: string } | null>) => {
    setBusy(true)
    void action(reply.id).then((failure) => {
      setBusy(false)
      setError(failure?.message ?? null)
    })
  }
  return (
    <section className="held-reply" role="alert" aria-label="Reply not sent" data-testid="held-reply">
      <p className="held-reply-reason">{reply.errorMessage ?? 'Not sent: new messages arrived.'}</p>
      {arrived && arrived.length > 0 && (
        <ol className="held-reply-arrived" aria-label="Arrived since you looked">
          {arrived.map((message) => (
            <li key={message.id} data-testid="held-reply-arrived">
              <span className="held-reply-author">{authorOf(message, conversation, members)}</span>{' '}
              <time className="muted small" dateTime={message.createdAt}>
                {clockTime(message.createdAt)}
              </time>
              <p className="held-reply-text">{message.content}</p>
            </li>
          ))}
        </ol>
      )}
      <p className="held-reply-draft small">
        Your reply: <q>{reply.content}</q>
      </p>
      <div className="held-reply-actions">
        <button type="button" className="button" disabled={busy} onClick={() => act(edit)}>
          Edit
        </button>
        <button type="button" className="button primary" disabled={busy} onClick={() => act(sendAnyway)}>
          Send anyway
        </button>
        {error && <span className="form-error small">{error}</span>}
      </div>
    </section>
  )
}
