import { create } from 'zustand'
import type { ConnectionState } from '../../../shared/domain.ts'
import type { TransportStatus } from '../api/websocket-api.ts'

interface ConnectionStore {
  state: ConnectionState
  /** The page's own link to the app host (browser shell only; Electron IPC is always up). */
  transport: TransportStatus
  apply(state: ConnectionState): void
  setTransport(status: TransportStatus): void
}

export const useConnection = create<ConnectionStore>()((set) => ({
  state: { status: 'connecting', lastSyncAt: null },
  transport: 'open',
  apply(state) {
    set({ state })
  },
  setTransport(transport) {
    set({ transport })
  },
}))
