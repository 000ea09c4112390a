import { create } from 'zustand'
import type { ConnectionState, EmbeddedServerState } from '../../../shared/domain.ts'
import type { AppError } from '../../../shared/errors.ts'
import type { TransportStatus } from '../api/websocket-api.ts'
import { call } from '../api/api.ts'

interface ConnectionStore {
  state: ConnectionState
  /** The page's own link to the app host (browser shell only; Electron IPC is always up). */
  transport: TransportStatus
  embedded: EmbeddedServerState
  /** While "Restart backend" runs, and why it failed. */
  restarting: boolean
  restartError: AppError | null
  /** Asks the app for both states (at start, and after the page was cut off from it). */
  load(): Promise<void>
  apply(state: ConnectionState): void
  applyEmbedded(embedded: EmbeddedServerState): void
  setTransport(status: TransportStatus): void
  restartEmbedded(): Promise<void>
}

export const useConnection = create<ConnectionStore>()((set, get) => ({
  state: { status: 'connecting', lastSyncAt: null },
  transport: 'open',
  embedded: { status: 'none' },
  restarting: false,
  restartError: null,
  async load() {
    const [state, embedded] = await Promise.all([call('connection.get', {}), call('embedded.get', {})])
    if (state.ok) set({ state: state.value })
    if (embedded.ok) set({ embedded: embedded.value })
  },
  apply(state) {
    set({ state })
  },
  applyEmbedded(embedded) {
    set({ embedded })
  },
  setTransport(transport) {
    set({ transport })
  },
  async restartEmbedded() {
    if (get().restarting) return
    set({ restarting: true, restartError: null })
    const result = await call('embedded.restart', {})
    set(
      result.ok
        ? { restarting: false, embedded: result.value }
        : { restarting: false, restartError: result.error },
    )
  },
}))
