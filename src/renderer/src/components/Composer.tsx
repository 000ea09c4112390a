import { useRef, useState, type KeyboardEvent } from 'react'
import type { Conversation, Workspace } from '../../../shared/domain.ts'
import { useConnection } from '../stores/connection.ts'
import { reportOpen, reportTyping } from '../stores/presence.ts'
import { useSender } from '../stores/senders.ts'
import { useSession } from '../stores/session.ts'
import { useThread } from '../stores/thread.ts'
import { focusTargets } from '../stores/ui.ts'
import { useComposerTools } from './ComposerTools.tsx'
import { displayName } from './ConversationList.tsx'
import { HeldReplyNotice } from './HeldReplyNotice.tsx'
import { NoteIcon, SendIcon } from './Icons.tsx'
import { OptOutNotice } from './OptOutNotice.tsx'
import { SegmentCounter } from './SegmentCounter.tsx'
import { SenderPicker } from './SenderPicker.tsx'

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
  const input = useRef<HTMLTextAreaElement>(null)
  const tools = useComposerTools({
    conversation,
    workspace,
    draft,
    setDraft: (text) => setDraft(conversation.id, text),
    input,
  })
  const sender = useSender(conversation, workspace)
  // An opt-out stops replies from this number; a note never reaches the customer.
  const blocked = tools.note ? null : sender.optOut

  const disabledReason = workspace.canSend
    ? null
    : 'This workspace has no Twilio number set up, so replies can’t be sent. An owner can add one in Twilio settings.'

  const submit = () => {
    const body = tools.outgoing.ok ? tools.outgoing.text.trim() : ''
    if (!body || disabledReason || blocked || body.length > maxLength) return
    setDraft(conversation.id, '')
    setError(null)
    reportOpen(conversation.id)
    void (tools.note ? tools.addNote(body) : send(workspace.id, conversation.id, body, sender.from)).then(
      (failure) => {
        if (!failure) return
        setError(failure.message)
        // Nothing typed is lost: a refused send puts the text back.
        if (!useThread.getState().drafts[conversation.id]) setDraft(conversation.id, body)
      },
    )
  }

  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (tools.onKeyDown(event)) return
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
      className={tools.note ? 'composer composer-note' : 'composer'}
      aria-label={tools.note ? 'Internal note' : 'Reply'}
      onSubmit={(event) => {
        event.preventDefault()
        submit()
      }}
    >
      {held && <HeldReplyNotice reply={held} conversation={conversation} />}
      {tools.modeToggle}
      {tools.pickers}
      {blocked && sender.from && (
        <OptOutNotice optOut={blocked} conversation={conversation} from={sender.from} />
      )}
      <textarea
        ref={input}
        id="composer-input"
        className="composer-input"
        aria-label={`${tools.note ? 'Internal note on' : 'Reply to'} ${displayName(conversation)}`}
        aria-keyshortcuts="Enter Control+Enter"
        {...tools.fieldProps}
        placeholder={
          tools.note
            ? 'Write a note only your team sees (@ mentions a teammate)'
            : offline
              ? 'Type a reply: it will be queued and sent when you’re back online'
              : 'Type a reply (Enter sends, Shift+Enter for a new line, / for saved replies)'
        }
        rows={2}
        maxLength={maxLength}
        disabled={!!blocked}
        value={draft}
        onChange={(event) => {
          setDraft(conversation.id, event.target.value)
          if (event.target.value.trim()) reportTyping(conversation.id)
        }}
        onKeyDown={onKeyDown}
      />
      <div className="composer-bar">
        {!tools.note && <SenderPicker conversation={conversation} {...sender} />}
        {tools.note ? (
          <span className="counter small note-hint">
            Internal note: only your team sees it, never the customer
          </span>
        ) : (
          <SegmentCounter
            text={tools.outgoing.ok ? tools.outgoing.text : draft}
            segmentLimit={workspace.segmentLimit}
            onReplace={(text) => setDraft(conversation.id, text)}
          />
        )}
        {!tools.outgoing.ok && (
          <span className="form-error small" role="alert" data-testid="variable-problem">
            {tools.outgoing.problem}
          </span>
        )}
        {error && (
          <span className="form-error small" role="alert">
            {error}
          </span>
        )}
        <button
          type="submit"
          className="button primary"
          disabled={!draft.trim() || !tools.outgoing.ok || !!blocked}
        >
          {tools.note ? (
            <>
              <NoteIcon /> Add note
            </>
          ) : (
            <>
              <SendIcon /> Send
            </>
          )}
        </button>
      </div>
    </form>
  )
}
