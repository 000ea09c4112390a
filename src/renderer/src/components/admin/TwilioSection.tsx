import { useCallback, useEffect, useId, useState, type FormEvent } from 'react'
import type { Workspace } from '../../../../shared/domain.ts'
import type { AppError } from '../../../../shared/errors.ts'
import type { AccountNumbersResponse, TwilioConnection } from '../../../../shared/relay-contract.ts'
import { call } from '../../api/api.ts'
import { NumbersTable } from './TwilioNumbers.tsx'

/**
 * The workspace's Twilio account and numbers: connect the account (checked with
 * Twilio by the relay before it is stored), import the numbers it owns, and point
 * each one's SMS webhook at the relay, seeing where it pointed first. The secret
 * typed here goes to the relay once and is never shown or answered back.
 */
export function TwilioSection({ workspace }: { workspace: Workspace }) {
  const [connection, setConnection] = useState<TwilioConnection | null | undefined>(undefined)
  const [editing, setEditing] = useState(false)
  const [listing, setListing] = useState<AccountNumbersResponse | null>(null)
  const [error, setError] = useState<AppError | null>(null)

  const loadNumbers = useCallback(async () => {
    const numbers = await call('twilio.numbers', { workspaceId: workspace.id })
    if (numbers.ok) setListing(numbers.value)
    else setError(numbers.error)
  }, [workspace.id])

  useEffect(() => {
    let current = true
    void call('twilio.connection', { workspaceId: workspace.id }).then((answer) => {
      if (!current) return
      if (!answer.ok) return setError(answer.error)
      setConnection(answer.value)
      if (answer.value) void loadNumbers()
    })
    return () => {
      current = false
    }
  }, [workspace.id, loadNumbers])

  const connected = (next: TwilioConnection) => {
    setConnection(next)
    setEditing(false)
    setError(null)
    void loadNumbers()
  }

  return (
    <>
      <section className="settings-section" aria-labelledby="admin-twilio-title">
        <h3 id="admin-twilio-title">Twilio account</h3>
        {connection === undefined && !error && <p className="hint">Asking the relay…</p>}
        {connection && !editing && (
          <div className="twilio-connected">
            <p>
              Connected to account <code>{connection.account_sid}</code>{' '}
              {connection.api_key_sid ? (
                <>
                  with API key <code>{connection.api_key_sid}</code>
                </>
              ) : (
                'with its auth token'
              )}
              .
            </p>
            <button type="button" className="button" onClick={() => setEditing(true)}>
              Change credentials
            </button>
          </div>
        )}
        {connection !== undefined && (connection === null || editing) && (
          <ConnectForm
            workspaceId={workspace.id}
            onConnected={connected}
            {...(editing ? { onCancel: () => setEditing(false) } : {})}
          />
        )}
      </section>
      {error && (
        <p className="form-error" role="alert">
          {error.message}
        </p>
      )}
      {connection && listing && (
        <NumbersTable
          workspaceId={workspace.id}
          listing={listing}
          onListing={(next) => {
            setListing(next)
            setError(null)
          }}
          onError={setError}
        />
      )}
    </>
  )
}

function ConnectForm({
  workspaceId,
  onConnected,
  onCancel,
}: {
  workspaceId: string
  onConnected: (connection: TwilioConnection) => void
  onCancel?: () => void
}) {
  const [accountSid, setAccountSid] = useState('')
  const [apiKeySid, setApiKeySid] = useState('')
  const [secret, setSecret] = useState('')
  const [authToken, setAuthToken] = useState('')
  const [busy, setBusy] = useState(false)
  const [refusal, setRefusal] = useState<string | null>(null)
  const errorId = useId()
  const authTokenHintId = useId()

  const withKey = apiKeySid.trim() !== ''
  const submit = async (event: FormEvent) => {
    event.preventDefault()
    setBusy(true)
    setRefusal(null)
    const answer = await call('twilio.connect', {
      workspaceId,
      accountSid: accountSid.trim(),
      apiKeySid: withKey ? apiKeySid.trim() : null,
      secret,
      ...(withKey && authToken.trim() !== '' ? { authToken } : {}),
    })
    setBusy(false)
    if (!answer.ok) return setRefusal(answer.error.message)
    setSecret('')
    setAuthToken('')
    onConnected(answer.value)
  }

  return (
    <form onSubmit={(event) => void submit(event)} aria-describedby={refusal ? errorId : undefined}>
      <p className="hint">
        From the Twilio Console. The relay checks them with Twilio before saving, and no one can read the
        secret back, here or anywhere in the app.
      </p>
      <label className="field">
        <span>Account SID</span>
        <input
          value={accountSid}
          onChange={(event) => setAccountSid(event.target.value)}
          placeholder="AC…"
          autoComplete="off"
          spellCheck={false}
          required
        />
      </label>
      <label className="field">
        <span>API key SID (leave empty to use the auth token)</span>
        <input
          value={apiKeySid}
          onChange={(event) => setApiKeySid(event.target.value)}
          placeholder="SK…"
          autoComplete="off"
          spellCheck={false}
        />
      </label>
      <label className="field">
        <span>{withKey ? 'API key secret' : 'Auth token'}</span>
        <input
          type="password"
          value={secret}
          onChange={(event) => setSecret(event.target.value)}
          autoComplete="off"
          required
        />
      </label>
      {withKey && (
        <>
          <label className="field">
            <span>Auth token (optional)</span>
            <input
              type="password"
              value={authToken}
              onChange={(event) => setAuthToken(event.target.value)}
              autoComplete="off"
              aria-describedby={authTokenHintId}
            />
          </label>
          <p className="hint" id={authTokenHintId}>
            Twilio signs the texts it forwards with the account's auth token; enter it when your key is a
            Standard one, which Twilio does not show the token to.
          </p>
        </>
      )}
      {refusal && (
        <p className="form-error" role="alert" id={errorId}>
          {refusal}
        </p>
      )}
      <div className="row-actions">
        {onCancel && (
          <button type="button" className="button ghost" onClick={onCancel}>
            Cancel
          </button>
        )}
        <button type="submit" className="button primary" disabled={busy}>
          {busy ? 'Checking with Twilio…' : 'Connect'}
        </button>
      </div>
    </form>
  )
}
