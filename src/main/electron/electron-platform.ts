import type {
  App,
  BrowserWindow,
  NativeImage,
  Notification as ElectronNotification,
  PowerMonitor,
  SafeStorage,
  Shell,
  Tray,
} from 'electron'
import type { Badge, DesktopNotification } from '../../shared/domain.ts'
import type { Logger } from '../../shared/log.ts'
import { badgeLabel } from '../notifications/policy.ts'
import type { Platform } from '../platform-interface.ts'
import { externalUrl } from './security.ts'
import { utilityService, type ForkUtility } from './utility-service.ts'

/** What the Platform needs from Electron, passed in so this module is testable with doubles. */
export interface ElectronPlatformDeps {
  app: Pick<App, 'getPath' | 'getVersion' | 'setBadgeCount'>
  safeStorage: Pick<
    SafeStorage,
    'isEncryptionAvailable' | 'encryptString' | 'decryptString' | 'getSelectedStorageBackend'
  >
  powerMonitor: Pick<PowerMonitor, 'on' | 'off'>
  shell: Pick<Shell, 'openExternal'>
  /** Electron's utilityProcess.fork, where the embedded backend and its relay run. */
  forkUtility: ForkUtility
  createNotification(options: {
    title: string
    body: string
    silent: boolean
  }): Pick<ElectronNotification, 'on' | 'show' | 'close'>
  /** Whether the OS is online (Electron's net.isOnline). */
  isOnline(): boolean
  window(): BrowserWindow | null
  tray(): Pick<Tray, 'setToolTip'> | null
  overlayIcon(): NativeImage | null
  platform: NodeJS.Platform
  onNotificationClick(notification: DesktopNotification): void
  logger: Logger
  /** How often to look at the network state (Electron has no event for it in main). */
  networkPollMs?: number
}

export function createElectronPlatform(deps: ElectronPlatformDeps): Platform {
  const shown = new Map<string, Pick<ElectronNotification, 'close'>>()
  return {
    userDataDir: deps.app.getPath('userData'),
    appVersion: deps.app.getVersion(),
    secretStore: {
      // On Linux without a keyring, Chromium falls back to a hard-coded key ("basic_text"): not secret at all.
      isAvailable: () =>
        deps.safeStorage.isEncryptionAvailable() &&
        (deps.platform !== 'linux' || deps.safeStorage.getSelectedStorageBackend() !== 'basic_text'),
      encrypt: (plaintext) => deps.safeStorage.encryptString(plaintext),
      decrypt: (data) => deps.safeStorage.decryptString(Buffer.from(data)),
    },
    notify(notification) {
      // A burst summary keeps one id: the previous one is replaced, not stacked.
      shown.get(notification.id)?.close()
      const native = deps.createNotification({
        title: notification.title,
        body: notification.body,
        silent: !notification.sound,
      })
      native.on('click', () => {
        const window = deps.window()
        if (window && !window.isDestroyed()) {
          if (window.isMinimized()) window.restore()
          window.show()
          window.focus()
        }
        deps.onNotificationClick(notification)
      })
      native.on('close', () => {
        if (shown.get(notification.id) === native) shown.delete(notification.id)
      })
      shown.set(notification.id, native)
      native.show()
    },
    setBadge(badge: Badge) {
      const label = badgeLabel(badge.total)
      deps.app.setBadgeCount(badge.total)
      const window = deps.window()
      if (deps.platform === 'win32' && window && !window.isDestroyed()) {
        window.setOverlayIcon(
          badge.total > 0 ? deps.overlayIcon() : null,
          badge.total > 0 ? `${label} unread` : '',
        )
      }
      deps.tray()?.setToolTip(badge.total > 0 ? `SMS Inbox — ${label} unread` : 'SMS Inbox')
    },
    isFocused() {
      const window = deps.window()
      return Boolean(window && !window.isDestroyed() && window.isFocused())
    },
    onResume(listener) {
      deps.powerMonitor.on('resume', listener)
      deps.powerMonitor.on('unlock-screen', listener)
      return () => {
        deps.powerMonitor.off('resume', listener)
        deps.powerMonitor.off('unlock-screen', listener)
      }
    },
    onNetworkChange(listener) {
      let online = deps.isOnline()
      const timer = setInterval(() => {
        const now = deps.isOnline()
        if (now !== online) {
          online = now
          listener(now)
        }
      }, deps.networkPollMs ?? 3000)
      timer.unref()
      return () => clearInterval(timer)
    },
    async openExternal(url) {
      const safe = externalUrl(url)
      if (!safe) {
        deps.logger.warn('refused to open a non-web or local link')
        return
      }
      await deps.shell.openExternal(safe)
    },
    startService: utilityService(deps.forkUtility),
  }
}
