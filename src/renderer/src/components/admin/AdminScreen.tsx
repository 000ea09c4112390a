import { useEffect, useRef, type KeyboardEvent } from 'react'
import { useAdmin, useAdministersActiveWorkspace } from '../../stores/admin.ts'
import { useActiveWorkspace } from '../../stores/workspaces.ts'
import { Dialog } from '../Dialog.tsx'
import { adminSections } from './sections.ts'

/**
 * The active workspace's admin screen: a tab per section (sections.ts). It closes
 * itself the moment its viewer stops being an owner or admin there (a role change or
 * a removal arrives live), whatever section is open; the relay and RLS refuse them anyway.
 */
export function AdminScreen() {
  const workspace = useActiveWorkspace()
  const allowed = useAdministersActiveWorkspace()
  const hide = useAdmin((state) => state.hide)
  const chosen = useAdmin((state) => state.section)
  const setSection = useAdmin((state) => state.setSection)
  const tabs = useRef<(HTMLButtonElement | null)[]>([])

  useEffect(() => {
    if (!allowed) hide()
  }, [allowed, hide])
  if (!allowed || !workspace) return null

  const current = adminSections.find((section) => section.id === chosen) ?? adminSections[0]!
  const Panel = current.Panel

  // Arrow keys move between tabs, as the ARIA tabs pattern expects of a vertical tab list.
  const onKeyDown = (event: KeyboardEvent) => {
    const step = { ArrowDown: 1, ArrowUp: -1 }[event.key]
    if (!step) return
    event.preventDefault()
    const index = adminSections.indexOf(current)
    const next = adminSections[(index + step + adminSections.length) % adminSections.length]!
    setSection(next.id)
    tabs.current[adminSections.indexOf(next)]?.focus()
  }

  return (
    <Dialog title={`Manage ${workspace.name}`} onClose={hide} wide>
      <div className="admin-screen">
        <div className="admin-tabs" role="tablist" aria-orientation="vertical" onKeyDown={onKeyDown}>
          {adminSections.map((section, index) => (
            <button
              key={section.id}
              ref={(element) => {
                tabs.current[index] = element
              }}
              type="button"
              role="tab"
              id={`admin-tab-${section.id}`}
              aria-selected={section === current}
              aria-controls={`admin-panel-${section.id}`}
              tabIndex={section === current ? 0 : -1}
              className="admin-tab"
              onClick={() => setSection(section.id)}
            >
              {section.label}
            </button>
          ))}
        </div>
        <div
          className="admin-panel"
          role="tabpanel"
          id={`admin-panel-${current.id}`}
          aria-labelledby={`admin-tab-${current.id}`}
        >
          <Panel workspace={workspace} />
        </div>
      </div>
    </Dialog>
  )
}
