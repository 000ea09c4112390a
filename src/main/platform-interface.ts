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

/** How a service process ended: a code, or (where the OS has them) the signal that killed it. */
export interface ServiceExit {
  code: number | null
  signal: NodeJS.Signals | null
}

/**
 * A long-lived helper process (the embedded backend with its relay), seen the same
 * way whichever runtime started it: messages both ways, its output, its end.
 */
export interface ServiceProcess {
  readonly pid: number | undefined
  readonly stdout: NodeJS.ReadableStream | null
  readonly stderr: NodeJS.ReadableStream | null
  /** Delivers a message; false when the process is gone and nothing was sent. */
  send(message: unknown): boolean
  onMessage(listener: (message: unknown) => void): void
  /** Called once, when the process has ended for whatever reason. */
  onExit(listener: (exit: ServiceExit) => void): void
  /** Ends it at once, with no chance to clean up (SIGKILL where there are signals). */
  kill(): void
  hasExited(): boolean
}

export interface ServiceOptions {
  /** The whole environment the process gets. */
  env: Record<string, string | undefined>
  execArgv: string[]
  /** Its working directory; undefined keeps the parent's. */
  cwd?: string | undefined
  /** A name for the OS's process list and the logs. */
  name: string
}

/** Starts `modulePath` as a service process: child_process.fork on Node, utilityProcess under Electron. */
export type StartService = (modulePath: string, options: ServiceOptions) => ServiceProcess

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
  startService: StartService
}
