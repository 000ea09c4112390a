import type { BrowserWindow, Session } from 'electron'
import type { Logger } from '../../shared/log.ts'
import { externalUrl, isAppUrl } from './security.ts'

/** Only notifications may be granted; camera, geolocation, clipboard reads and the rest are denied. */
export function hardenSession(
  session: Pick<Session, 'setPermissionRequestHandler' | 'setPermissionCheckHandler'>,
): void {
  session.setPermissionRequestHandler((_contents, permission, callback) =>
    callback(permission === 'notifications'),
  )
  session.setPermissionCheckHandler((_contents, permission) => permission === 'notifications')
}

/**
 * The window never navigates away from the app and never opens another window;
 * an http(s) link the agent clicks goes to the OS browser after validation.
 */
export function lockNavigation(
  window: Pick<BrowserWindow, 'webContents'>,
  options: { devServerUrl: string | null; openExternal(url: string): void; logger: Logger },
): void {
  const contents = window.webContents
  contents.on('will-navigate', (event, url) => {
    if (isAppUrl(url, options.devServerUrl) && url === contents.getURL()) return
    event.preventDefault()
    const safe = externalUrl(url)
    if (safe) options.openExternal(safe)
    else options.logger.warn('blocked a navigation')
  })
  contents.on('will-redirect', (event, url) => {
    if (!isAppUrl(url, options.devServerUrl)) event.preventDefault()
  })
  contents.on('will-attach-webview', (event) => event.preventDefault())
  contents.setWindowOpenHandler(({ url }) => {
    const safe = externalUrl(url)
    if (safe) options.openExternal(safe)
    return { action: 'deny' }
  })
}
