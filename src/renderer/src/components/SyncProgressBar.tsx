import { currentStage, useSyncProgress } from '../stores/sync-progress.ts'

const count = new Intl.NumberFormat('en-US')

/** A workspace's first sync under way: how many conversations (then messages) are in, of how many. */
export function SyncProgressBar({ workspaceId }: { workspaceId: string }) {
  const current = currentStage(useSyncProgress((state) => state.byWorkspace[workspaceId]))
  if (!current) return null
  const { stage, done, total } = current
  const text = `${count.format(done)} of ${count.format(total)} ${stage}`
  return (
    <div className="sync-progress" data-testid="sync-progress">
      <div
        className="sync-progress-track"
        role="progressbar"
        aria-label={`Syncing ${stage}`}
        aria-valuemin={0}
        aria-valuemax={total}
        aria-valuenow={done}
        aria-valuetext={text}
      >
        <div className="sync-progress-fill" style={{ width: `${(100 * done) / total}%` }} />
      </div>
      <span className="sync-progress-label muted small">Syncing {text}</span>
    </div>
  )
}
