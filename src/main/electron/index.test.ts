import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it, vi } from 'vitest'
import { ipcChannels } from '../../shared/contract.ts'

/**
 * The Electron entry with a test double of the `electron` module (Electron itself is
 * not our code, and its binary is not on this machine): what it registers, how it
 * builds the window, and what it does when another instance holds the lock.
 */
const userData = mkdtempSync(join(tmpdir(), 'electron-index-'))
afterAll(() => rmSync(userData, { recursive: true, force: true }))

const state = vi.hoisted(() => ({
  lock: true,
  windows: [] as { options: Record<string, unknown>; loaded: string[] }[],
  handled: new Map<string, unknown>(),
  schemes: [] as unknown[],
  protocols: [] as string[],
  quit: 0,
  appEvents: new Map<string, ((...args: unknown[]) => void)[]>(),
  permissionRequest: null as null | ((c: unknown, p: string, cb: (ok: boolean) => void) => void),
  ready: null as null | (() => void),
  readyPromise: null as null | Promise<void>,
}))

vi.mock('electron', async () => {
  const { EventEmitter } = await import('node:events')
  const on = (name: string, fn: (...args: unknown[]) => void) => {
    state.appEvents.set(name, [...(state.appEvents.get(name) ?? []), fn])
  }
  state.readyPromise = new Promise<void>((resolve) => (state.ready = resolve))
  class BrowserWindow extends EventEmitter {
    static getAllWindows = () => state.windows
    webContents = Object.assign(new EventEmitter(), {
      mainFrame: { url: 'app://bundle/index.html' },
      getURL: () => 'app://bundle/index.html',
      send: () => {},
      setWindowOpenHandler: () => {},
    })
    record: { options: Record<string, unknown>; loaded: string[] }
    constructor(options: Record<string, unknown>) {
      super()
      this.record = { options, loaded: [] }
      state.windows.push(this.record)
    }
    isDestroyed = () => false
    isFocused = () => true
    async loadURL(url: string) {
      this.record.loaded.push(url)
    }
    show() {}
  }
  return {
    app: {
      isPackaged: false,
      getAppPath: () => '/app',
      getPath: () => userData,
      setPath: () => {},
      setAppLogsPath: () => {},
      getVersion: () => '0.0.1',
      setBadgeCount: () => true,
      requestSingleInstanceLock: () => state.lock,
      quit: () => {
        state.quit++
      },
      on,
      whenReady: () => state.readyPromise,
    },
    BrowserWindow,
    ipcMain: {
      handle: (channel: string, fn: unknown) => state.handled.set(channel, fn),
      removeHandler: (channel: string) => state.handled.delete(channel),
    },
    nativeImage: { createFromPath: () => ({}) },
    net: { isOnline: () => true },
    Notification: class {
      on() {}
      show() {}
      close() {}
    },
    powerMonitor: new EventEmitter(),
    protocol: {
      registerSchemesAsPrivileged: (schemes: unknown[]) => state.schemes.push(...schemes),
      handle: (scheme: string) => state.protocols.push(scheme),
    },
    safeStorage: {
      isEncryptionAvailable: () => false,
      encryptString: () => Buffer.alloc(0),
      decryptString: () => '',
      getSelectedStorageBackend: () => 'basic_text',
    },
    session: {
      defaultSession: {
        setPermissionRequestHandler: (fn: typeof state.permissionRequest) => (state.permissionRequest = fn),
        setPermissionCheckHandler: () => {},
        webRequest: { onHeadersReceived: () => {} },
      },
    },
    shell: { openExternal: async () => {} },
    Tray: class {
      setToolTip() {}
      on() {}
    },
  }
})

describe('electron entry', () => {
  it('registers the app scheme, hardens the session, opens one secure window and answers IPC through the core', async () => {
    // A configured (unreachable) backend, so no embedded child process starts in this test.
    vi.stubEnv('SUPABASE_URL', 'http://127.0.0.1:9')
    vi.stubEnv('SUPABASE_PUBLISHABLE_KEY', 'an-anon-key-that-is-long-enough')
    vi.stubEnv('ELECTRON_RENDERER_URL', '')
    await import('./index.ts')
    expect(state.schemes).toEqual([{ scheme: 'app', privileges: { standard: true, secure: true } }])
    state.ready!()
    await vi.waitFor(() => expect(state.windows).toHaveLength(1))
    await vi.waitFor(() => expect(state.windows[0]!.loaded).toEqual(['app://bundle/index.html']))
    expect(state.protocols).toEqual(['app'])
    // The log file is opened in the folder Electron names for logs (the double names the temp folder).
    expect(readdirSync(userData)).toContain('electron.1.log')
    expect(state.windows[0]!.options.webPreferences).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      disableBlinkFeatures: 'Auxclick',
    })
    const decisions: boolean[] = []
    state.permissionRequest!(null, 'camera', (ok) => decisions.push(ok))
    state.permissionRequest!(null, 'notifications', (ok) => decisions.push(ok))
    expect(decisions).toEqual([false, true])
    expect(state.appEvents.has('second-instance')).toBe(true)
    expect(state.appEvents.has('web-contents-created')).toBe(true)

    const handler = state.handled.get(ipcChannels.request) as (
      event: unknown,
      channel: unknown,
      payload: unknown,
    ) => Promise<unknown>
    expect(handler).toBeTypeOf('function')
    const window = (await import('electron')).BrowserWindow.getAllWindows()
    expect(window).toHaveLength(1)
    const foreign = await handler(
      { sender: {}, senderFrame: { url: 'https://evil.example/' } },
      'app.info',
      {},
    )
    expect(foreign).toMatchObject({ ok: false, error: { kind: 'forbidden' } })

    // Quitting disposes the services first, then quits for real.
    const quitEvent = { preventDefault: vi.fn() }
    for (const fn of state.appEvents.get('before-quit') ?? []) fn(quitEvent)
    expect(quitEvent.preventDefault).toHaveBeenCalled()
    await vi.waitFor(() => expect(state.quit).toBe(1))
    vi.unstubAllEnvs()
  })
})
