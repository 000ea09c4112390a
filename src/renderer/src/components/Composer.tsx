import { useState, type KeyboardEvent } from 'react'
import type { Conversation, Workspace } from '../../../shared/domain.ts'
import { useConnection } from '../stores/connection.ts'
import { reportOpen, reportTyping } from '../stores/presence.ts'
import { useSession } from '../stores/session.ts'
import { useThread } from '../stores/thread.ts'
import { focusTargets } from '../stores/ui.ts'
import { displayName } from './ConversationList.tsx'
import { HeldReplyNotice } from './HeldReplyNotice.tsx'
import { SendIcon } from './Icons.tsx'
import { SegmentCounter } from './SegmentCounter.tsx'

const maxLength = 1600

export function Composer({ conversation, workspace }: { conversation: Conversation; workspace: Workspace }) {
  const draft = useThread((state) => state.drafts[conversation.id] ?? '')
  const setDraft = useThread((state) => state.setDraft)
  const send = useThread((state) => state.send)
  const offline = useConnection((state) => state.state.status !== 'live')
  const userId = useSession((state) => (state.session?.status === 'signed-in' ? state.session.user.id : null))
  // The newest of the agent's replies the collision guard held back in this thread, if any.
  const held = useThread((state) =>
    state.contactId === conversation.id
      ? state.messages.findLast(
          (message) =>
            message.status === 'failed' && message.errorCode === 'collision' && message.createdBy === userId,
        )
      : undefined,
  )
  const [error, setError] = useState<string | null>(null)

  const disabledReason = workspace.canSend
    ? null
    : 'This workspace has no Twilio number set up, so replies can’t be sent. An owner can add one in Twilio settings.'

  const submit = () => {
    const body = draft.trim()
    if (!body || disabledReason || body.length > maxLength) return
    setDraft(conversation.id, '')
    setError(null)
    reportOpen(conversation.id)
    void send(workspace.id, conversation.id, body).then((failure) => {
      if (!failure) return
      setError(failure.message)
      // Nothing typed is lost: a refused send puts the text back.
      if (!useThread.getState().drafts[conversation.id]) setDraft(conversation.id, body)
    })
  }

  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey || !event.shiftKey)) {
      event.preventDefault()
      submit()
    } else if (event.key === 'Escape') {
      event.preventDefault()
      event.currentTarget.blur()
      focusTargets.list()
    }
  }

  if (disabledReason) {
    return (
      <div className="composer composer-disabled" role="note" data-testid="composer-disabled">
        {disabledReason}
      </div>
    )
  }
  return (
    <form
      className="composer"
      aria-label="Reply"
      onSubmit={(event) => {
        event.preventDefault()
        submit()
      }}
    >
      {held && <HeldReplyNotice reply={held} conversation={conversation} />}
      <textarea
        id="composer-input"
        className="composer-input"
        aria-label={`Reply to ${displayName(conversation)}`}
        aria-keyshortcuts="Enter Control+Enter"
        placeholder={
          offline
            ? 'Type a reply: it will be queued and sent when you’re back online'
            : 'Type a reply (Enter sends, Shift+Enter for a new line)'
        }
        rows={2}
        maxLength={maxLength}
        value={draft}
        onChange={(event) => {
          setDraft(conversation.id, event.target.value)
          if (event.target.value.trim()) reportTyping(conversation.id)
        }}
        onKeyDown={onKeyDown}
      />
      <div className="composer-bar">
        <SegmentCounter
          text={draft}
          segmentLimit={workspace.segmentLimit}
          onReplace={(text) => setDraft(conversation.id, text)}
        />
        {error && (
          <span className="form-error small" role="alert">
            {error}
          </span>
        )}
        <button type="submit" className="button primary" disabled={!draft.trim()}>
          <SendIcon /> Send
        </button>
      </div>
    </form>
  )
}
