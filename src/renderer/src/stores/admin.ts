import { create } from 'zustand'
import { administers } from '../../../shared/roles.ts'
import { useWorkspaces } from './workspaces.ts'

/** The admin screen of the active workspace: open or not, and which section it shows. */
interface AdminStore {
  open: boolean
  section: string
  /** Opens only for an owner or admin of the active workspace; anyone else gets nothing. */
  show(): void
  hide(): void
  setSection(section: string): void
}

export const useAdmin = create<AdminStore>()((set) => ({
  open: false,
  section: 'members',
  show() {
    if (activeWorkspaceAdministered(useWorkspaces.getState())) set({ open: true })
  },
  hide() {
    set({ open: false })
  },
  setSection(section) {
    set({ section })
  },
}))

type WorkspacesState = ReturnType<typeof useWorkspaces.getState>

const activeWorkspaceAdministered = ({ list, activeId }: WorkspacesState): boolean => {
  const role = list.find((workspace) => workspace.id === activeId)?.role
  return role !== undefined && administers(role)
}

/** Whether the signed-in member runs the active workspace; false again the moment their role drops. */
export const useAdministersActiveWorkspace = (): boolean => useWorkspaces(activeWorkspaceAdministered)
