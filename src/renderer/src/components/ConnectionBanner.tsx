import { useConnection } from '../stores/connection.ts'
import { clockTime, dayKey, fullDateTime } from '../lib/format.ts'

/**
 * The embedded server stopped and the app will not start it by itself (the crash
 * limit, or a start that failed): say why, and offer the one thing that helps.
 */
export function EmbeddedStoppedBanner() {
  const embedded = useConnection((store) => store.embedded)
  const restarting = useConnection((store) => store.restarting)
  const restartError = useConnection((store) => store.restartError)
  const restart = useConnection((store) => store.restartEmbedded)
  if (embedded.status !== 'stopped') return null
  return (
    <div className="banner banner-danger banner-action" role="alert" data-testid="embedded-stopped">
      <span>
        <strong>The backend has stopped.</strong> {embedded.problem}
        {restartError && ` ${restartError.message}`}
      </span>
      <button type="button" className="button" disabled={restarting} onClick={() => void restart()}>
        {restarting ? 'Restarting…' : 'Restart backend'}
      </button>
    </div>
  )
}

/** Never silent about staleness: anything but Live gets a banner. */
export function ConnectionBanner() {
  const state = useConnection((store) => store.state)
  const transport = useConnection((store) => store.transport)
  const embeddedStopped = useConnection((store) => store.embedded.status === 'stopped')

  if (transport === 'closed' || transport === 'refused') {
    return (
      <div className="banner banner-danger" role="status">
        <strong>Not connected to the app.</strong>{' '}
        {transport === 'refused'
          ? 'Open the link printed in the terminal where you started SMS Inbox.'
          : 'Trying again…'}
      </div>
    )
  }
  if (embeddedStopped) return <EmbeddedStoppedBanner />
  if (state.status === 'live') return null
  if (state.status === 'connecting') {
    return (
      <div className="banner banner-info" role="status">
        Connecting…
      </div>
    )
  }
  const cachedAt = state.lastSyncAt ? (
    <time dateTime={state.lastSyncAt} title={fullDateTime(state.lastSyncAt)}>
      {dayKey(state.lastSyncAt) === dayKey(new Date().toISOString())
        ? clockTime(state.lastSyncAt)
        : fullDateTime(state.lastSyncAt)}
    </time>
  ) : (
    'an unknown time'
  )
  return (
    <div className="banner banner-warn" role="status" data-testid="connection-banner">
      <strong>{state.status === 'offline' ? 'Offline.' : 'Reconnecting…'}</strong> Showing conversations
      cached at {cachedAt}. Messages you send will go out when you’re back online.
    </div>
  )
}

export function LiveIndicator() {
  const status = useConnection((store) => store.state.status)
  const label = { live: 'Live', connecting: 'Connecting', reconnecting: 'Reconnecting', offline: 'Offline' }[
    status
  ]
  return (
    <span className={`live-indicator live-${status}`} data-testid="connection-status">
      <span className="dot" aria-hidden="true" />
      {label}
    </span>
  )
}
