import { useEffect, useMemo, useState } from 'react'
import type { Conversation } from '../../../shared/domain.ts'
import { asE164, parseTextablePhone } from '../../../shared/phone.ts'
import { call } from '../api/api.ts'
import { homeRegionFor, shownPhone } from '../lib/phone-display.ts'
import { useConversations } from '../stores/conversations.ts'
import { useNewConversation } from '../stores/new-conversation.ts'
import { useThread } from '../stores/thread.ts'
import { useActiveWorkspace } from '../stores/workspaces.ts'
import { displayName } from './ConversationList.tsx'
import { Dialog } from './Dialog.tsx'

/** Contacts matching what the agent typed, by name or number, from the cache (offline too). */
function useContactMatches(workspaceId: string, query: string): Conversation[] {
  const text = query.trim()
  const [found, setFound] = useState<{ text: string; matches: Conversation[] }>({ text: '', matches: [] })
  useEffect(() => {
    if (text.length < 2) return
    let current = true
    void call('conversations.search', { query: text, workspaceId, limit: 20 }).then((result) => {
      if (!current || !result.ok) return
      const seen = new Set<string>()
      const matches = result.value
        .filter((hit) => hit.field === 'name' || hit.field === 'phone')
        .map((hit) => hit.conversation)
        .filter((conversation) => !seen.has(conversation.id) && seen.add(conversation.id))
      setFound({ text, matches: matches.slice(0, 6) })
    })
    return () => {
      current = false
    }
  }, [workspaceId, text])
  return found.text === text && text.length >= 2 ? found.matches : []
}

/**
 * Starts a conversation (issue 19): from an existing contact found by name or number,
 * or from a number in any common format, read in the workspace's region. A number
 * that cannot take a text is refused with why before anything is sent; one that
 * already has a conversation opens it; a new one gets its first message, which leaves
 * through the outbox like any reply.
 */
export function NewConversationDialog() {
  const workspace = useActiveWorkspace()
  const hide = useNewConversation((state) => state.hide)
  const openConversation = useConversations((state) => state.open)
  const upsert = useConversations((state) => state.upsert)
  const send = useThread((state) => state.send)
  const [to, setTo] = useState('')
  const [body, setBody] = useState('')
  const [tried, setTried] = useState(false)
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const workspaceId = workspace?.id ?? ''
  const matches = useContactMatches(workspaceId, to)
  const home = homeRegionFor(workspaceId)
  const phone = useMemo(() => parseTextablePhone(to, home), [to, home])
  const typed = useMemo(() => asE164(to, home), [to, home])
  const existing = typed ? matches.find((match) => match.phoneNumber === typed) : undefined
  // A name being typed is a search, not a wrong number: the reason shows once it looks like a number or on submit.
  const showProblem =
    !existing && !phone.ok && to.trim() !== '' && (tried || /^[\d\s()+.-]{4,}$/.test(to.trim()))

  const jumpTo = (conversation: Conversation) => {
    upsert(conversation)
    openConversation(conversation.id)
    hide()
  }

  const submit = async () => {
    setTried(true)
    setError(null)
    if (existing) return jumpTo(existing)
    if (!phone.ok || !workspace) return
    if (!body.trim()) return setError('Write the first message to send.')
    setBusy(true)
    const started = await call('conversations.start', {
      workspaceId: workspace.id,
      phoneNumber: phone.value.e164,
    })
    if (!started.ok) {
      setBusy(false)
      return setError(started.error.message)
    }
    const { conversation, created } = started.value
    // The server knew this number after all (a teammate started it, or it texted in): open it, send nothing.
    if (!created) return jumpTo(conversation)
    const failed = await send(workspace.id, conversation.id, body.trim())
    setBusy(false)
    if (failed) return setError(failed.message)
    jumpTo(conversation)
  }

  return (
    <Dialog title="New conversation" onClose={hide}>
      <form
        className="new-conversation"
        onSubmit={(event) => {
          event.preventDefault()
          void submit()
        }}
      >
        <label className="field">
          <span>To</span>
          <input
            autoFocus
            value={to}
            onChange={(event) => {
              setTo(event.target.value)
              setTried(false)
              setError(null)
            }}
            placeholder="Phone number or contact name"
            aria-describedby="new-conversation-problem"
            aria-invalid={showProblem}
            autoComplete="off"
          />
        </label>
        <p
          id="new-conversation-problem"
          className={showProblem ? 'form-error' : 'visually-hidden'}
          aria-live="polite"
        >
          {showProblem && !phone.ok ? phone.error.message : ''}
        </p>
        {matches.length > 0 && (
          <ul className="contact-matches" aria-label="Matching contacts">
            {matches.map((match) => (
              <li key={match.id}>
                <button type="button" className="contact-match" onClick={() => jumpTo(match)}>
                  <span className="contact-match-name">{displayName(match)}</span>
                  {match.name && <span className="muted small">{shownPhone(match)}</span>}
                </button>
              </li>
            ))}
          </ul>
        )}
        {existing && (
          <p className="hint">{shownPhone(existing)} already has a conversation: Enter opens it.</p>
        )}
        {phone.ok && !existing && (
          <label className="field">
            <span>First message to {shownPhone({ workspaceId, phoneNumber: phone.value.e164 })}</span>
            <textarea
              className="new-conversation-body"
              value={body}
              onChange={(event) => setBody(event.target.value)}
              rows={4}
              onKeyDown={(event) => {
                if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
                  event.preventDefault()
                  void submit()
                }
              }}
            />
          </label>
        )}
        {error && (
          <p className="form-error" role="alert">
            {error}
          </p>
        )}
        <div className="dialog-actions">
          <button type="button" className="button ghost" onClick={hide}>
            Cancel
          </button>
          <button type="submit" className="button primary" disabled={busy || !(existing || phone.ok)}>
            {existing ? 'Open conversation' : 'Send'}
          </button>
        </div>
      </form>
    </Dialog>
  )
}
