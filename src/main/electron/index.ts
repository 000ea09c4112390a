import { join } from 'node:path'
import {
  app,
  BrowserWindow,
  ipcMain,
  nativeImage,
  net,
  Notification,
  powerMonitor,
  protocol,
  safeStorage,
  session,
  shell,
  Tray,
  utilityProcess,
} from 'electron'
import { openAppLog } from '../../../logging/app-log.ts'
import { createAppCore, type AppCore } from '../core/app-core.ts'
import { loadSettings, resolveBackend } from '../core/settings.ts'
import { registerIpc } from './ipc.ts'
import { createElectronPlatform } from './electron-platform.ts'
import { createBundleHandler } from './bundle-handler.ts'
import { APP_ENTRY, APP_SCHEME, buildCsp, httpOrigins } from './security.ts'
import { hardenSession, lockNavigation } from './window.ts'

/**
 * The thin Electron layer: it gives the services (createAppCore) what only Electron
 * has, creates the one window with the security checklist applied, and carries the
 * contract over IPC. Everything the app does lives in the services.
 */
const here = import.meta.dirname
const devServerUrl =
  !app.isPackaged && process.env.ELECTRON_RENDERER_URL ? process.env.ELECTRON_RENDERER_URL : null
const resources = join(app.getAppPath(), 'resources')

// A data folder chosen for this run (tests, a second profile) holds its logs too; otherwise the platform's place for them.
if (process.env.SMS_INBOX_USER_DATA) {
  app.setPath('userData', process.env.SMS_INBOX_USER_DATA)
  app.setAppLogsPath(join(process.env.SMS_INBOX_USER_DATA, 'logs'))
} else {
  app.setAppLogsPath()
}

protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true } }])

if (!app.requestSingleInstanceLock()) {
  app.quit()
} else {
  // Only the instance that runs writes the log. Electron emits ready once this
  // entry module has settled, so awaiting here comes before anything that needs ready.
  const { logger } = await openAppLog({
    component: 'electron',
    dir: app.getPath('logs'),
    print: (line) => console.log(line),
  })
  let window: BrowserWindow | null = null
  let tray: Tray | null = null
  let core: AppCore | null = null

  const connectOrigins = () => {
    const settings = loadSettings(join(app.getPath('userData'), 'settings.json'), logger)
    const backend = resolveBackend(settings, process.env)
    if (!backend.ok || !backend.backend || backend.backend.mode !== 'custom') return []
    return httpOrigins([backend.backend.supabaseUrl, backend.backend.relayUrl])
  }

  const focus = () => {
    if (!window || window.isDestroyed()) return
    if (window.isMinimized()) window.restore()
    window.show()
    window.focus()
  }

  app.on('second-instance', focus)

  // Every web contents, including any a bug might create, gets the same locks.
  app.on('web-contents-created', (_event, contents) => {
    contents.on('will-attach-webview', (event) => event.preventDefault())
    contents.setWindowOpenHandler(() => ({ action: 'deny' }))
  })

  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit()
  })

  let quitting = false
  app.on('before-quit', (event) => {
    if (quitting || !core) return
    event.preventDefault()
    quitting = true
    void core.dispose().finally(() => app.quit())
  })

  const createWindow = async () => {
    window = new BrowserWindow({
      width: 1200,
      height: 800,
      minWidth: 720,
      minHeight: 480,
      show: false,
      title: 'SMS Inbox',
      icon: join(resources, 'icon.png'),
      // Electron's security checklist, written out literally so the audit (npm run audit:electron) can see it.
      webPreferences: {
        preload: join(here, '../preload/index.cjs'),
        contextIsolation: true,
        sandbox: true,
        nodeIntegration: false,
        nodeIntegrationInWorker: false,
        nodeIntegrationInSubFrames: false,
        webSecurity: true,
        allowRunningInsecureContent: false,
        experimentalFeatures: false,
        webviewTag: false,
        navigateOnDragDrop: false,
        disableBlinkFeatures: 'Auxclick',
      },
    })
    lockNavigation(window, { devServerUrl, openExternal: (url) => void shell.openExternal(url), logger })
    window.once('ready-to-show', () => window?.show())
    await window.loadURL(devServerUrl ?? APP_ENTRY)
  }

  void app.whenReady().then(async () => {
    hardenSession(session.defaultSession)
    protocol.handle(
      APP_SCHEME,
      createBundleHandler(join(here, '../renderer'), () => buildCsp(connectOrigins())),
    )
    if (devServerUrl) {
      session.defaultSession.webRequest.onHeadersReceived((details, callback) =>
        callback({
          responseHeaders: {
            ...details.responseHeaders,
            'Content-Security-Policy': [buildCsp(connectOrigins())],
          },
        }),
      )
    }
    try {
      tray = new Tray(
        nativeImage.createFromPath(
          join(resources, process.platform === 'darwin' ? 'trayTemplate.png' : 'icons/32x32.png'),
        ),
      )
      tray.setToolTip('SMS Inbox')
      tray.on('click', focus)
    } catch (error) {
      logger.warn('no tray on this desktop', { error })
    }
    const platform = createElectronPlatform({
      app,
      safeStorage,
      powerMonitor,
      shell,
      forkUtility: (modulePath, args, options) => utilityProcess.fork(modulePath, args, options),
      createNotification: (options) => new Notification(options),
      isOnline: () => net.isOnline(),
      window: () => window,
      tray: () => tray,
      overlayIcon: () => nativeImage.createFromPath(join(resources, 'icons/16x16.png')),
      platform: process.platform,
      onNotificationClick: (notification) => core?.notificationClicked(notification),
      logger,
    })
    // From source while developing: the local backend reads its SQL and modules beside its own files.
    const embeddedHostModule = app.isPackaged
      ? join(here, 'embedded-stack.js')
      : join(app.getAppPath(), 'src/main/embedded-stack/host.ts')
    // The list of Postgres functions V8 optimizes in the backend's child (embedded-stack/wasm-tiering.ts).
    process.env.EMBEDDED_WASM_PROFILE_DIR ??= app.isPackaged
      ? join(process.resourcesPath, 'wasm-profile')
      : join(app.getAppPath(), 'resources/wasm-profile')
    // The bundled host finds migrations and seed in the resources (electron-builder extraResources); the child inherits the env.
    if (app.isPackaged) {
      process.env.EMBEDDED_SUPABASE_DIR ??= join(process.resourcesPath, 'supabase')
      process.env.EMBEDDED_TWILIO_SPEC ??= join(process.resourcesPath, 'twilio-oai', 'twilio_api_v2010.json')
    }
    core = createAppCore(platform, { logger, embeddedHostModule })
    registerIpc({ ipcMain, core, window: () => window, devServerUrl, logger })
    await createWindow()
    app.on('activate', () => {
      if (BrowserWindow.getAllWindows().length === 0) void createWindow()
    })
  })
}
