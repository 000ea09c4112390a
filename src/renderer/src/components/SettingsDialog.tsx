import { useState, type FormEvent } from 'react'
import type { BackendSettings, NotificationSettings, Settings } from '../../../shared/domain.ts'
import {
  backendSettingsSchema,
  cacheRetentionChoices,
  notificationScopeSchema,
} from '../../../shared/domain.ts'
import { blockedNotificationsHelp, desktopOf } from '../lib/notification-settings.ts'
import { useSettings } from '../stores/settings.ts'
import { useWorkspaces } from '../stores/workspaces.ts'
import { Dialog } from './Dialog.tsx'

const defaultNotifications: NotificationSettings = { enabled: true, sound: true }

interface TextFieldProps {
  label: string
  type: 'url' | 'text'
  value: string
  placeholder?: string
  onChange: (value: string) => void
}

// URLs and keys are typed or pasted verbatim, so spelling suggestions only get in the way.
function TextField({ label, type, value, placeholder, onChange }: TextFieldProps) {
  return (
    <label className="field">
      <span>{label}</span>
      <input
        type={type}
        value={value}
        placeholder={placeholder}
        spellCheck={false}
        onChange={(event) => onChange(event.target.value)}
      />
    </label>
  )
}

function BackendForm({ settings }: { settings: Settings }) {
  const save = useSettings((state) => state.save)
  const saving = useSettings((state) => state.saving)
  const initial = settings.backend
  const [mode, setMode] = useState<BackendSettings['mode']>(initial.mode)
  const [supabaseUrl, setSupabaseUrl] = useState(initial.mode === 'custom' ? initial.supabaseUrl : '')
  const [publishableKey, setPublishableKey] = useState(
    initial.mode === 'custom' ? initial.publishableKey : '',
  )
  const [relayUrl, setRelayUrl] = useState(initial.mode === 'custom' ? initial.relayUrl : '')
  const [problem, setProblem] = useState<string | null>(null)
  const [saved, setSaved] = useState(false)

  const submit = (event: FormEvent) => {
    event.preventDefault()
    setSaved(false)
    const parsed = backendSettingsSchema.safeParse(
      mode === 'embedded' ? { mode } : { mode, supabaseUrl, publishableKey, relayUrl },
    )
    if (!parsed.success) {
      const issue = parsed.error.issues[0]
      const field =
        { supabaseUrl: 'Supabase URL', publishableKey: 'Publishable key', relayUrl: 'Relay URL' }[
          String(issue?.path[0])
        ] ?? 'A field'
      setProblem(
        `${field}: ${field === 'Publishable key' ? 'paste the project’s publishable key (sb_publishable_…)' : 'enter a full http(s):// address'}.`,
      )
      return
    }
    setProblem(null)
    void save({ ...settings, backend: parsed.data }).then(setSaved)
  }

  return (
    <form className="settings-section" onSubmit={submit} aria-labelledby="backend-title">
      <h3 id="backend-title">Backend</h3>
      <fieldset className="radio-group">
        <legend className="visually-hidden">Which backend</legend>
        <label className="radio">
          <input
            type="radio"
            name="mode"
            checked={mode === 'embedded'}
            onChange={() => setMode('embedded')}
          />
          <span>
            <strong>Built-in demo backend</strong>
            <span className="muted small block">
              Runs on this computer with demo data. Nothing leaves your machine.
            </span>
          </span>
        </label>
        <label className="radio">
          <input type="radio" name="mode" checked={mode === 'custom'} onChange={() => setMode('custom')} />
          <span>
            <strong>Your Supabase project</strong>
            <span className="muted small block">
              The project URL and publishable key from Supabase, and your SMS relay.
            </span>
          </span>
        </label>
      </fieldset>
      {mode === 'custom' && (
        <div className="fields">
          <TextField
            label="Supabase URL"
            type="url"
            value={supabaseUrl}
            placeholder="https://abcd.supabase.co"
            onChange={setSupabaseUrl}
          />
          <TextField
            label="Publishable key"
            type="text"
            value={publishableKey}
            onChange={setPublishableKey}
          />
          <TextField
            label="Relay URL"
            type="url"
            value={relayUrl}
            placeholder="https://abcd.supabase.co/functions/v1/sms-relay"
            onChange={setRelayUrl}
          />
        </div>
      )}
      {problem && (
        <p className="form-error" role="alert">
          {problem}
        </p>
      )}
      <div className="row-actions">
        {saved && (
          <span className="ok small" role="status">
            Saved. The app reconnects with these settings.
          </span>
        )}
        <button type="submit" className="button primary" disabled={saving}>
          {saving ? 'Saving…' : 'Save backend'}
        </button>
      </div>
    </form>
  )
}

function NotificationsForm({ settings }: { settings: Settings }) {
  const workspaces = useWorkspaces((state) => state.list)
  const save = useSettings((state) => state.save)
  const permission = 'Notification' in window ? Notification.permission : 'unsupported'
  const [browserPermission, setBrowserPermission] = useState(permission)

  const update = (workspaceId: string, change: Partial<NotificationSettings>) => {
    const current = settings.notifications[workspaceId] ?? defaultNotifications
    void save({
      ...settings,
      notifications: { ...settings.notifications, [workspaceId]: { ...current, ...change } },
    })
  }

  return (
    <section className="settings-section" aria-labelledby="notifications-title">
      <h3 id="notifications-title">Notifications</h3>
      {window.appApi === undefined && browserPermission === 'denied' && (
        <p className="notice">{blockedNotificationsHelp(desktopOf(navigator.userAgent))}</p>
      )}
      {window.appApi === undefined && browserPermission === 'default' && (
        <p className="notice">
          This browser hasn’t allowed notifications yet.{' '}
          <button
            type="button"
            className="link"
            onClick={() => void Notification.requestPermission().then(setBrowserPermission)}
          >
            Allow notifications
          </button>
        </p>
      )}
      {workspaces.length === 0 ? (
        <p className="muted small">Sign in to choose notifications for each workspace.</p>
      ) : (
        <table className="notify-table">
          <thead>
            <tr>
              <th scope="col">Workspace</th>
              <th scope="col">Notify</th>
              <th scope="col">Sound</th>
              <th scope="col">For</th>
            </tr>
          </thead>
          <tbody>
            {workspaces.map((workspace) => {
              const current = settings.notifications[workspace.id] ?? defaultNotifications
              return (
                <tr key={workspace.id}>
                  <th scope="row">{workspace.name}</th>
                  <td>
                    <input
                      type="checkbox"
                      aria-label={`Notifications for ${workspace.name}`}
                      checked={current.enabled}
                      onChange={(event) => update(workspace.id, { enabled: event.target.checked })}
                    />
                  </td>
                  <td>
                    <input
                      type="checkbox"
                      aria-label={`Sound for ${workspace.name}`}
                      checked={current.sound}
                      disabled={!current.enabled}
                      onChange={(event) => update(workspace.id, { sound: event.target.checked })}
                    />
                  </td>
                  <td>
                    <select
                      aria-label={`Notify ${workspace.name} for`}
                      value={current.scope ?? 'all'}
                      disabled={!current.enabled}
                      onChange={(event) =>
                        update(workspace.id, { scope: notificationScopeSchema.parse(event.target.value) })
                      }
                    >
                      <option value="all">Every conversation</option>
                      <option value="mineAndUnassigned">Only mine and unassigned</option>
                    </select>
                  </td>
                </tr>
              )
            })}
          </tbody>
        </table>
      )}
    </section>
  )
}

const retentionLabel = (days: number) =>
  days % 365 === 0 ? `${days / 365} year${days === 365 ? '' : 's'}` : `${days} days`

function OfflineCacheForm({ settings }: { settings: Settings }) {
  const save = useSettings((state) => state.save)
  // A value set outside the app (the settings file) is shown as it is, not silently replaced.
  const choices = [...new Set<number>([...cacheRetentionChoices, settings.cacheRetentionDays])].sort(
    (a, b) => a - b,
  )
  return (
    <section className="settings-section" aria-labelledby="offline-cache-title">
      <h3 id="offline-cache-title">Offline cache</h3>
      <label className="field">
        <span>Keep messages on this computer for</span>
        <select
          value={settings.cacheRetentionDays}
          onChange={(event) => void save({ ...settings, cacheRetentionDays: Number(event.target.value) })}
        >
          {choices.map((days) => (
            <option key={days} value={days}>
              {retentionLabel(days)}
            </option>
          ))}
        </select>
      </label>
      <p className="muted small">
        Unread messages and replies not yet sent are kept whatever their age. Older history loads from the
        server when you scroll back to it.
      </p>
    </section>
  )
}

export function SettingsDialog() {
  const settings = useSettings((state) => state.settings)
  const error = useSettings((state) => state.error)
  const hide = useSettings((state) => state.hide)
  const reload = useSettings((state) => state.show)
  return (
    <Dialog title="Settings" onClose={hide} wide>
      {error && (
        <p className="form-error" role="alert">
          {error.message}{' '}
          {!settings && (
            <button type="button" className="link" onClick={() => void reload()}>
              Try again
            </button>
          )}
        </p>
      )}
      {!settings && !error && <p className="muted">Loading settings…</p>}
      {settings && (
        <>
          <BackendForm settings={settings} />
          <NotificationsForm settings={settings} />
          <OfflineCacheForm settings={settings} />
        </>
      )}
    </Dialog>
  )
}
