import { useCallback, useEffect, useState } from 'react'
import type { AuditEntry } from '../../../../shared/audit-entry.ts'
import type { Workspace } from '../../../../shared/domain.ts'
import { call } from '../../api/api.ts'
import { describeAuditEntry } from '../../lib/audit-text.ts'
import { fullDateTime } from '../../lib/format.ts'

const PAGE = 50

const page = (workspaceId: string, after: AuditEntry | null) =>
  call('audit.list', {
    workspaceId,
    before: after ? { createdAt: after.createdAt, id: after.id } : null,
    limit: PAGE,
  })
type Page = Awaited<ReturnType<typeof page>>

/** The workspace's audit trail, newest first, a page at a time; read when the section opens. */
export function AuditTrailSection({ workspace }: { workspace: Workspace }) {
  const [entries, setEntries] = useState<AuditEntry[]>([])
  const [hasMore, setHasMore] = useState(false)
  const [loading, setLoading] = useState(true)
  const [problem, setProblem] = useState<string | null>(null)

  const show = useCallback((after: AuditEntry | null, result: Page) => {
    setLoading(false)
    if (!result.ok) return setProblem(result.error.message)
    setProblem(null)
    setEntries((shown) => (after ? [...shown, ...result.value.entries] : result.value.entries))
    setHasMore(result.value.hasMore)
  }, [])
  useEffect(() => {
    let shown = true
    void page(workspace.id, null).then((result) => shown && show(null, result))
    return () => {
      shown = false
    }
  }, [workspace.id, show])
  const older = () => {
    const last = entries[entries.length - 1] ?? null
    setLoading(true)
    void page(workspace.id, last).then((result) => show(last, result))
  }

  return (
    <section className="settings-section" aria-labelledby="admin-audit-title">
      <h3 id="admin-audit-title">Audit trail</h3>
      {problem && (
        <p className="form-error" role="alert">
          {problem}
        </p>
      )}
      {!loading && entries.length === 0 && !problem && <p className="muted small">Nothing recorded yet.</p>}
      <ol className="audit-list" aria-label="Audit trail entries" aria-busy={loading}>
        {entries.map((entry) => (
          <li key={entry.id} className="audit-entry" data-testid="audit-entry">
            <span>{describeAuditEntry(entry)}</span>
            <time className="muted small" dateTime={entry.createdAt}>
              {fullDateTime(entry.createdAt)}
            </time>
          </li>
        ))}
      </ol>
      {hasMore && (
        <div className="row-actions">
          <button type="button" className="button" disabled={loading} onClick={older}>
            {loading ? 'Loading…' : 'Show older'}
          </button>
        </div>
      )}
    </section>
  )
}
