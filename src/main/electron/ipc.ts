import type { BrowserWindow, IpcMain, IpcMainInvokeEvent } from 'electron'
import { ipcChannels, type EventChannel } from '../../shared/contract.ts'
import { err } from '../../shared/errors.ts'
import type { Logger } from '../../shared/log.ts'
import type { AppCore } from '../core/app-core.ts'
import { isAppUrl } from './security.ts'

/**
 * The Electron transport of the contract. A request is answered only when it comes
 * from the main frame of the app's own window showing the app's own page; everything
 * else gets a typed `forbidden` and never reaches a handler.
 */
export function isTrustedSender(
  event: Pick<IpcMainInvokeEvent, 'senderFrame' | 'sender'>,
  window: BrowserWindow | null,
  devServerUrl: string | null,
): boolean {
  if (!window || window.isDestroyed()) return false
  const frame = event.senderFrame
  if (!frame || event.sender !== window.webContents || frame !== window.webContents.mainFrame) return false
  return isAppUrl(frame.url, devServerUrl)
}

export function registerIpc(options: {
  ipcMain: Pick<IpcMain, 'handle' | 'removeHandler'>
  core: Pick<AppCore, 'dispatch' | 'subscribe'>
  window(): BrowserWindow | null
  devServerUrl: string | null
  logger: Logger
}): () => void {
  const { ipcMain, core, logger } = options
  ipcMain.handle(ipcChannels.request, async (event, channel: unknown, payload: unknown) => {
    if (!isTrustedSender(event, options.window(), options.devServerUrl)) {
      logger.warn('refused a request from an untrusted sender', {
        channel: typeof channel === 'string' ? channel.slice(0, 64) : typeof channel,
      })
      return err('forbidden', 'This request did not come from the app window.')
    }
    try {
      return await core.dispatch(typeof channel === 'string' ? channel : '', payload)
    } catch (error) {
      logger.error('dispatch threw', { error })
      return err('internal', 'Something went wrong in the app.')
    }
  })
  const unsubscribe = core.subscribe((event: EventChannel, payload: unknown) => {
    const window = options.window()
    if (window && !window.isDestroyed()) window.webContents.send(ipcChannels.event, event, payload)
  })
  return () => {
    unsubscribe()
    ipcMain.removeHandler(ipcChannels.request)
  }
}
