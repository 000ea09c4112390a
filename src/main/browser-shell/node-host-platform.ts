import type { EventChannel, EventOf } from '../../shared/contract.ts'
import { forkService } from '../embedded-stack/fork-service.ts'
import type { Platform } from '../platform-interface.ts'
import { openInSystemBrowser } from './open-browser.ts'

type Forward = <E extends EventChannel>(event: E, payload: EventOf<E>) => void

/**
 * The Platform of the browser shell's Node host. What Electron shows natively is
 * forwarded to the page as contract events (notification.show; badge.changed comes
 * from the core), and the page uses the Web Notifications and Badging APIs. There is no OS key
 * store here, so the session is kept in memory, and the session service says so.
 */
export function createBrowserPlatform(options: { userDataDir: string; appVersion: string }): {
  platform: Platform
  subscribe(listener: Forward): () => void
} {
  const listeners = new Set<Forward>()
  const forward: Forward = (event, payload) => {
    for (const listener of listeners) listener(event, payload)
  }
  const platform: Platform = {
    userDataDir: options.userDataDir,
    appVersion: options.appVersion,
    secretStore: {
      isAvailable: () => false,
      encrypt: () => {
        throw new Error('The browser shell has no OS key store.')
      },
      decrypt: () => {
        throw new Error('The browser shell has no OS key store.')
      },
    },
    notify: (notification) => forward('notification.show', notification),
    // The core itself sends badge.changed to every subscriber; the page sets the title and app badge from it.
    setBadge: () => {},
    onResume: () => () => {},
    onNetworkChange: () => () => {},
    openExternal: async (url) => {
      openInSystemBrowser(url)
    },
    startService: forkService,
  }
  return {
    platform,
    subscribe(listener) {
      listeners.add(listener)
      return () => {
        listeners.delete(listener)
      }
    },
  }
}
