import type { AppApi } from '../../shared/contract.ts'

declare global {
  interface Window {
    /** The preload's API, present only in Electron. */
    appApi?: AppApi
  }
}
