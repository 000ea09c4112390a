import { countLabel } from '../lib/format.ts'
import { useAdmin, useAdministersActiveWorkspace } from '../stores/admin.ts'
import { useSession } from '../stores/session.ts'
import { useSettings } from '../stores/settings.ts'
import { useUi } from '../stores/ui.ts'
import { useWorkspaces } from '../stores/workspaces.ts'
import { AdminIcon, KeyboardIcon, SettingsIcon, SignOutIcon } from './Icons.tsx'

function initials(name: string): string {
  const words = name.split(/\s+/).filter(Boolean)
  return ((words[0]?.[0] ?? '') + (words[1]?.[0] ?? '')).toUpperCase() || '?'
}

export function WorkspaceRail() {
  const list = useWorkspaces((state) => state.list)
  const activeId = useWorkspaces((state) => state.activeId)
  const perWorkspace = useWorkspaces((state) => state.badge.perWorkspace)
  const select = useWorkspaces((state) => state.select)
  const showSettings = useSettings((state) => state.show)
  const setHelpOpen = useUi((state) => state.setHelpOpen)
  const administers = useAdministersActiveWorkspace()
  const showAdmin = useAdmin((state) => state.show)
  const signOut = useSession((state) => state.signOut)
  const version = useSession((state) => state.info?.version)

  return (
    <nav className="rail" aria-label="Workspaces">
      <ul className="rail-list">
        {list.map((workspace) => {
          const unread = perWorkspace[workspace.id] ?? workspace.unreadTotal
          return (
            <li key={workspace.id}>
              <button
                type="button"
                className="rail-item"
                aria-current={workspace.id === activeId ? 'page' : undefined}
                title={workspace.name}
                data-testid={`workspace-${workspace.id}`}
                onClick={() => select(workspace.id)}
              >
                <span className="rail-avatar" aria-hidden="true">
                  {initials(workspace.name)}
                </span>
                <span className="visually-hidden">
                  {workspace.name}
                  {unread > 0 ? `, ${unread} unread` : ''}
                </span>
                {unread > 0 && (
                  <span className="badge rail-badge" aria-hidden="true" data-testid="workspace-badge">
                    {countLabel(unread)}
                  </span>
                )}
              </button>
            </li>
          )
        })}
      </ul>
      <div className="rail-tools">
        {administers && (
          <button
            type="button"
            className="rail-tool"
            aria-label="Manage workspace"
            title="Manage workspace (M)"
            onClick={showAdmin}
          >
            <AdminIcon />
          </button>
        )}
        <button
          type="button"
          className="rail-tool"
          aria-label="Keyboard shortcuts"
          title="Keyboard shortcuts (?)"
          onClick={() => setHelpOpen(true)}
        >
          <KeyboardIcon />
        </button>
        <button
          type="button"
          className="rail-tool"
          aria-label="Settings"
          title="Settings"
          onClick={() => void showSettings()}
        >
          <SettingsIcon />
        </button>
        <button
          type="button"
          className="rail-tool"
          aria-label="Sign out"
          title="Sign out"
          onClick={() => void signOut()}
        >
          <SignOutIcon />
        </button>
        <span className="rail-version" data-testid="app-version">
          v{version}
        </span>
      </div>
    </nav>
  )
}
