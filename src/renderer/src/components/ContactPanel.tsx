import { useEffect, useRef, useState } from 'react'
import type { Conversation } from '../../../shared/domain.ts'
import { call } from '../api/api.ts'
import { shownPhone } from '../lib/phone-display.ts'
import { useConversations } from '../stores/conversations.ts'
import { useUi } from '../stores/ui.ts'
import { useActiveWorkspace } from '../stores/workspaces.ts'
import { ContactActivity } from './ContactActivity.tsx'

const panelId = 'contact-panel'

/** The thread header's button that shows or hides the contact panel (as the I shortcut does). */
export function ContactPanelToggle() {
  const open = useUi((state) => state.contactPanelOpen)
  const toggle = useUi((state) => state.toggleContactPanel)
  return (
    <button
      type="button"
      className="button ghost"
      aria-expanded={open}
      aria-controls={panelId}
      title="Contact details (I)"
      data-testid="contact-panel-toggle"
      onClick={toggle}
    >
      Contact
    </button>
  )
}

/**
 * The contact's name, edited in place. The server trims and checks it (contacts.rename);
 * the answer is the conversation as stored, which every other agent receives live too.
 */
function NameEditor({ conversation }: { conversation: Conversation }) {
  const [draft, setDraft] = useState<string | null>(null)
  const [saving, setSaving] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const input = useRef<HTMLInputElement>(null)
  const editing = draft !== null
  useEffect(() => {
    if (editing) input.current?.focus()
  }, [editing])

  const cancel = () => {
    setDraft(null)
    setError(null)
  }
  const save = async () => {
    if (draft === null) return
    setSaving(true)
    const result = await call('contacts.rename', { contactId: conversation.id, name: draft })
    setSaving(false)
    if (!result.ok) {
      setError(result.error.message)
      return
    }
    useConversations.getState().upsert(result.value)
    cancel()
  }

  if (draft === null) {
    return (
      <div className="contact-field">
        <span className="contact-label">Name</span>
        <p className="contact-value" data-testid="contact-name">
          {conversation.name ?? <span className="muted">No name yet</span>}
        </p>
        <button type="button" className="link" onClick={() => setDraft(conversation.name ?? '')}>
          {conversation.name ? 'Edit name' : 'Add a name'}
        </button>
      </div>
    )
  }
  return (
    <form
      className="contact-field"
      onSubmit={(event) => {
        event.preventDefault()
        void save()
      }}
      onKeyDown={(event) => {
        if (event.key === 'Escape') {
          event.stopPropagation()
          cancel()
        }
      }}
    >
      <label className="field">
        <span>Name</span>
        <input
          ref={input}
          value={draft}
          onChange={(event) => setDraft(event.target.value)}
          aria-invalid={error !== null}
          aria-describedby={error ? 'contact-name-error' : undefined}
          data-testid="contact-name-input"
        />
      </label>
      {error && (
        <p className="form-error" id="contact-name-error" role="alert">
          {error}
        </p>
      )}
      <div className="contact-form-actions">
        <button type="submit" className="button primary" disabled={saving}>
          {saving ? 'Saving…' : 'Save'}
        </button>
        <button type="button" className="button" onClick={cancel}>
          Cancel
        </button>
      </div>
    </form>
  )
}

/** Beside the thread, while it shows a conversation: who the customer is, and how the workspace has talked with them. */
export function OpenContactPanel() {
  const open = useUi((state) => state.contactPanelOpen)
  const conversation = useConversations((state) => (state.openId ? state.byId[state.openId] : undefined))
  const workspace = useActiveWorkspace()
  if (!open || !conversation || conversation.workspaceId !== workspace?.id) return null
  return <ContactPanel conversation={conversation} />
}

function ContactPanel({ conversation }: { conversation: Conversation }) {
  const toggle = useUi((state) => state.toggleContactPanel)
  return (
    <aside className="contact-panel" id={panelId} aria-label="Contact details" data-testid="contact-panel">
      <header className="contact-panel-header">
        <h2>Contact</h2>
        <button type="button" className="button ghost" onClick={toggle} title="Close (I)">
          Close
        </button>
      </header>
      <NameEditor key={conversation.id} conversation={conversation} />
      <div className="contact-field">
        <span className="contact-label">Number</span>
        <p className="contact-value" data-testid="contact-number">
          {shownPhone(conversation)}
        </p>
        <p className="muted small">
          The number is this conversation: a new number starts a new conversation.
        </p>
      </div>
      <ContactActivity conversation={conversation} />
    </aside>
  )
}
