import { useId, useState, type FormEvent } from 'react'
import type { AppError } from '../../../shared/errors.ts'
import { askNotificationPermission } from '../api/browser-platform.ts'
import { useSession } from '../stores/session.ts'
import { EmbeddedStoppedBanner } from './ConnectionBanner.tsx'
import { useSettings } from '../stores/settings.ts'

/** What the agent can do about each failure, in their words rather than the server's. */
export function signInErrorText(error: AppError): string {
  switch (error.kind) {
    case 'unauthorized':
    case 'forbidden':
      return 'That email and password don’t match an account. Check both and try again.'
    case 'offline':
      return 'Can’t reach the server. Check your network connection, or the backend settings.'
    case 'not_configured':
      return 'No backend is configured yet. Open the backend settings to set one up.'
    case 'rate_limited':
      return 'Too many attempts. Wait a minute, then try again.'
    case 'invalid_input':
      return 'Enter your email address and password.'
    default:
      return error.message
  }
}

/** The same, for an invitee's first sign-in with the code from their invite email. */
export function joinErrorText(error: AppError): string {
  switch (error.kind) {
    case 'invalid_input':
      return 'Enter your email, the 6-digit code from your invite email, and a password of at least 8 characters.'
    case 'unauthorized':
      return error.message
    default:
      return signInErrorText(error)
  }
}

export function SignIn() {
  const info = useSession((state) => state.info)
  const signingIn = useSession((state) => state.signingIn)
  const error = useSession((state) => state.signInError)
  const reason = useSession((state) => (state.session?.status === 'signed-out' ? state.session.reason : null))
  const signIn = useSession((state) => state.signIn)
  const acceptInvite = useSession((state) => state.acceptInvite)
  const showSettings = useSettings((state) => state.show)
  const [email, setEmail] = useState('')
  const [password, setPassword] = useState('')
  const [joining, setJoining] = useState(false)
  const [code, setCode] = useState('')
  const errorId = useId()

  const submit = (event: FormEvent) => {
    event.preventDefault()
    askNotificationPermission()
    void (joining ? acceptInvite(email, code, password) : signIn(email, password))
  }

  return (
    <main className="signin" aria-labelledby="signin-title">
      <div className="signin-card">
        <div className="brand">
          <span className="brand-mark" aria-hidden="true">
            SMS
          </span>
          <div>
            <h1 id="signin-title">Sign in to SMS Inbox</h1>
            <p className="muted">Answer your customers’ texts, together.</p>
          </div>
        </div>
        <EmbeddedStoppedBanner />
        {reason && (
          <p className="hint" role="status">
            {reason}
          </p>
        )}
        <form onSubmit={submit} noValidate aria-describedby={error ? errorId : undefined}>
          <label className="field">
            <span>Email</span>
            <input
              type="email"
              name="email"
              autoComplete="username"
              autoFocus
              required
              value={email}
              onChange={(event) => setEmail(event.target.value)}
            />
          </label>
          {joining && (
            <label className="field">
              <span>Invite code</span>
              <input
                name="code"
                inputMode="numeric"
                autoComplete="one-time-code"
                required
                value={code}
                onChange={(event) => setCode(event.target.value)}
              />
            </label>
          )}
          <label className="field">
            <span>{joining ? 'Choose a password' : 'Password'}</span>
            <input
              type="password"
              name="password"
              autoComplete={joining ? 'new-password' : 'current-password'}
              required
              value={password}
              onChange={(event) => setPassword(event.target.value)}
            />
          </label>
          {error && (
            <p className="form-error" role="alert" id={errorId}>
              {joining ? joinErrorText(error) : signInErrorText(error)}
              {(error.kind === 'offline' || error.kind === 'not_configured') && (
                <>
                  {' '}
                  <button type="button" className="link" onClick={() => void showSettings()}>
                    Backend settings
                  </button>
                </>
              )}
            </p>
          )}
          <button className="button primary wide" type="submit" disabled={signingIn}>
            {signingIn ? 'Signing in…' : joining ? 'Join your team' : 'Sign in'}
          </button>
          <button type="button" className="link signin-switch" onClick={() => setJoining(!joining)}>
            {joining ? 'Sign in with your password instead' : 'I have an invite code'}
          </button>
        </form>
        {info?.embedded && info.demoAccounts.length > 0 && (
          <section className="demo" aria-labelledby="demo-title">
            <h2 id="demo-title">Demo accounts</h2>
            <p className="muted small">
              This copy runs on the built-in demo backend. Pick an account to try it.
            </p>
            <ul>
              {info.demoAccounts.map((account) => (
                <li key={account.email}>
                  <button
                    type="button"
                    className="demo-account"
                    disabled={signingIn}
                    onClick={() => {
                      askNotificationPermission()
                      setEmail(account.email)
                      setPassword(account.password)
                      void signIn(account.email, account.password)
                    }}
                  >
                    <span className="demo-label">{account.label}</span>
                    <span className="muted small">{account.email}</span>
                  </button>
                </li>
              ))}
            </ul>
          </section>
        )}
        <footer className="signin-footer">
          <button type="button" className="link" onClick={() => void showSettings()}>
            Backend settings
          </button>
          <span className="muted small" data-testid="app-version">
            Version {info?.version ?? '…'}
          </span>
        </footer>
      </div>
    </main>
  )
}
