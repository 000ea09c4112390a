import type { Badge, DesktopNotification } from '../shared/domain.ts'

/**
 * Everything the services need from the host. The Electron layer implements it with
 * app paths, safeStorage, Notification, the dock/taskbar badge and powerMonitor; the
 * browser shell's Node host and the tests implement it without Electron.
 */
export interface SecretStore {
  /** False when the OS offers no key store (a Linux machine without a keyring). */
  isAvailable(): boolean
  encrypt(plaintext: string): Uint8Array
  /** Throws when the data was not encrypted by this store (another machine, another user). */
  decrypt(data: Uint8Array): string
}

export interface Platform {
  /** The per-user data folder: cache, settings, encrypted session, embedded backend data. */
  userDataDir: string
  appVersion: string
  secretStore: SecretStore
  notify(notification: DesktopNotification): void
  setBadge(badge: Badge): void
  /** Subscribes to "the machine woke from sleep"; returns the unsubscribe. */
  onResume(listener: () => void): () => void
  /** Subscribes to "the network came back or changed"; returns the unsubscribe. */
  onNetworkChange(listener: (online: boolean) => void): () => void
  /** Whether the app window has focus, where the host can tell (Electron); else the renderer's view.report counts. */
  isFocused?(): boolean
  /** Opens an http(s) URL in the OS browser; the caller has validated it. */
  openExternal(url: string): Promise<void>
}
