import { EventEmitter } from 'node:events'
import { sep } from 'node:path'
import type { BrowserWindow, IpcMainInvokeEvent } from 'electron'
import { describe, expect, it, vi } from 'vitest'
import { ipcChannels, requestChannels, requests } from '../../shared/contract.ts'
import type { DesktopNotification } from '../../shared/domain.ts'
import { ok } from '../../shared/errors.ts'
import { createMemoryLogger } from '../../../logging/logger.ts'
import { createDispatcher, type Handlers } from '../core/dispatch.ts'
import { registerIpc, isTrustedSender } from './ipc.ts'
import { createElectronPlatform, type ElectronPlatformDeps } from './electron-platform.ts'
import { createBundleHandler } from './bundle-handler.ts'
import { APP_ENTRY, buildCsp, bundlePath, externalUrl, httpOrigins, isAppUrl } from './security.ts'
import { hardenSession, lockNavigation } from './window.ts'

const { logger } = createMemoryLogger('electron-test')

/** Stand-ins for Electron's window objects: only the fields the layer reads. */
function fakeWindow(url = APP_ENTRY) {
  const contents = Object.assign(new EventEmitter(), {
    mainFrame: { url },
    getURL: () => url,
    send: vi.fn(),
    openHandler: null as null | ((details: { url: string }) => { action: string }),
    setWindowOpenHandler(handler: (details: { url: string }) => { action: string }) {
      contents.openHandler = handler
    },
  })
  const window = {
    webContents: contents,
    isDestroyed: () => false,
    isFocused: () => false,
    isMinimized: () => true,
    restore: vi.fn(),
    show: vi.fn(),
    focus: vi.fn(),
    setOverlayIcon: vi.fn(),
  }
  return window
}

describe('security policy', () => {
  it('builds a CSP allowing only own scripts and the configured backend origins', () => {
    const origins = httpOrigins([
      'https://abc.supabase.co/rest',
      'https://abc.supabase.co',
      'https://relay.example.com/sms',
      'javascript:x',
      null,
      'nope',
    ])
    expect(origins).toEqual(['https://abc.supabase.co', 'https://relay.example.com'])
    const csp = buildCsp(origins)
    expect(csp).toContain("default-src 'none'")
    expect(csp).toContain("script-src 'self'")
    expect(csp).toContain("connect-src 'self' https://abc.supabase.co https://relay.example.com")
    expect(csp).not.toMatch(/unsafe-(inline|eval)/)
    expect(csp).toContain("object-src 'none'")
  })

  it('recognises only the app bundle (and the dev server while developing) as the app', () => {
    expect(isAppUrl(APP_ENTRY, null)).toBe(true)
    expect(isAppUrl('app://bundle/assets/x.js', null)).toBe(true)
    expect(isAppUrl('app://other/index.html', null)).toBe(false)
    expect(isAppUrl('file:///tmp/index.html', null)).toBe(false)
    expect(isAppUrl('http://localhost:5173/', null)).toBe(false)
    expect(isAppUrl('http://localhost:5173/', 'http://localhost:5173')).toBe(true)
    expect(isAppUrl('http://localhost:5174/', 'http://localhost:5173')).toBe(false)
    expect(isAppUrl('not a url', null)).toBe(false)
  })

  const links: [string, string | null][] = [
    ['https://help.example.com/a?b=c', 'https://help.example.com/a?b=c'],
    ['http://example.org', 'http://example.org/'],
    ['file:///etc/passwd', null],
    ['javascript:alert(1)', null],
    ['smb://share/x', null],
    ['https://user:pw@example.com/', null],
    ['http://127.0.0.1:54321/rest/v1/', null],
    ['http://localhost:3000', null],
    ['http://[::1]/', null],
    ['garbage', null],
  ]
  for (const [url, expected] of links) {
    it(`external link ${url} → ${expected ?? 'refused'}`, () => expect(externalUrl(url)).toBe(expected))
  }

  it('maps bundle URLs to files inside the renderer folder only', () => {
    const root = `${sep}app${sep}renderer`
    expect(bundlePath('app://bundle/', root, sep)).toBe(`${root}${sep}index.html`)
    expect(bundlePath('app://bundle/assets/index.js', root, sep)).toBe(`${root}${sep}assets${sep}index.js`)
    // The URL parser already resolves dot segments: the path stays inside the bundle.
    expect(bundlePath('app://bundle/../../etc/passwd', root, sep)).toBe(`${root}${sep}etc${sep}passwd`)
    expect(bundlePath('app://bundle/%2e%2e/%2e%2e/etc/passwd', root, sep)).toBe(
      `${root}${sep}etc${sep}passwd`,
    )
    expect(bundlePath('app://bundle/..%2f..%2fetc/passwd', root, sep)).toBeNull()
    expect(bundlePath('app://bundle/..%5c..%5cetc', root, sep)).toBeNull()
    expect(bundlePath('app://bundle/a%00.js', root, sep)).toBeNull()
    expect(bundlePath('app://evil/index.html', root, sep)).toBeNull()
    expect(bundlePath('https://bundle/index.html', root, sep)).toBeNull()
  })

  it('serves the bundle with the CSP header and 404s the rest', async () => {
    const handler = createBundleHandler(import.meta.dirname, () => "default-src 'none'")
    const found = await handler(new Request('app://bundle/security.ts'))
    expect(found.status).toBe(200)
    expect(found.headers.get('content-security-policy')).toBe("default-src 'none'")
    expect(found.headers.get('x-content-type-options')).toBe('nosniff')
    expect((await handler(new Request('app://bundle/missing.js'))).status).toBe(404)
    expect((await handler(new Request('app://bundle/%2e%2e/core/app-core.ts'))).status).toBe(404)
    expect((await handler(new Request('app://bundle/security.ts', { method: 'POST' }))).status).toBe(404)
  })
})

describe('window hardening', () => {
  it('grants notifications and denies every other permission', () => {
    let request: ((c: unknown, p: string, cb: (granted: boolean) => void) => void) | undefined
    let check: ((c: unknown, p: string) => boolean) | undefined
    hardenSession({
      setPermissionRequestHandler: (handler) => {
        request = handler as typeof request
      },
      setPermissionCheckHandler: (handler) => {
        check = handler as typeof check
      },
    })
    const decisions: Record<string, boolean> = {}
    for (const permission of [
      'notifications',
      'media',
      'geolocation',
      'clipboard-read',
      'openExternal',
      'fullscreen',
    ]) {
      request!(null, permission, (granted) => (decisions[permission] = granted))
    }
    expect(decisions).toEqual({
      notifications: true,
      media: false,
      geolocation: false,
      'clipboard-read': false,
      openExternal: false,
      fullscreen: false,
    })
    expect(check!(null, 'notifications')).toBe(true)
    expect(check!(null, 'media')).toBe(false)
  })

  it('denies navigation and new windows; web links go to the OS browser', () => {
    const window = fakeWindow()
    const opened: string[] = []
    lockNavigation(window as unknown as BrowserWindow, {
      devServerUrl: null,
      openExternal: (url) => opened.push(url),
      logger,
    })
    const navigate = (url: string) => {
      const event = { preventDefault: vi.fn() }
      window.webContents.emit('will-navigate', event, url)
      return event.preventDefault.mock.calls.length > 0
    }
    expect(navigate('https://docs.example.com/')).toBe(true)
    expect(navigate('file:///etc/hosts')).toBe(true)
    expect(navigate('app://bundle/other.html')).toBe(true)
    expect(opened).toEqual(['https://docs.example.com/'])
    expect(window.webContents.openHandler!({ url: 'https://example.com/x' })).toEqual({ action: 'deny' })
    expect(window.webContents.openHandler!({ url: 'javascript:alert(1)' })).toEqual({ action: 'deny' })
    expect(opened).toEqual(['https://docs.example.com/', 'https://example.com/x'])
    const webview = { preventDefault: vi.fn() }
    window.webContents.emit('will-attach-webview', webview)
    expect(webview.preventDefault).toHaveBeenCalled()
  })
})

describe('IPC', () => {
  function setup() {
    const window = fakeWindow()
    let handler: ((event: unknown, ...args: unknown[]) => Promise<unknown>) | undefined
    const ipcMain = {
      handle: vi.fn((channel: string, fn: typeof handler) => {
        expect(channel).toBe(ipcChannels.request)
        handler = fn
      }),
      removeHandler: vi.fn(),
    }
    const calls: string[] = []
    const handlers = Object.fromEntries(
      requestChannels.map((channel) => [
        channel,
        async () => {
          calls.push(channel)
          return ok(null)
        },
      ]),
    ) as unknown as Handlers
    const dispatch = createDispatcher(handlers, logger)
    const listeners: ((event: never, payload: unknown) => void)[] = []
    const dispose = registerIpc({
      ipcMain: ipcMain as never,
      core: { dispatch, subscribe: (listener) => (listeners.push(listener as never), () => {}) },
      window: () => window as unknown as BrowserWindow,
      devServerUrl: null,
      logger,
    })
    const own = { sender: window.webContents, senderFrame: window.webContents.mainFrame }
    return {
      window,
      invoke: (event: unknown, ...args: unknown[]) => handler!(event, ...args),
      calls,
      listeners,
      dispose,
      ipcMain,
      own,
    }
  }

  it('answers the app window and refuses foreign senders on every channel without running a handler', async () => {
    const { window, invoke, calls, own } = setup()
    const other = fakeWindow()
    const foreign = [
      { sender: other.webContents, senderFrame: other.webContents.mainFrame },
      { sender: window.webContents, senderFrame: { url: APP_ENTRY } },
      { sender: window.webContents, senderFrame: null },
      {
        sender: fakeWindow('https://evil.example/').webContents,
        senderFrame: { url: 'https://evil.example/' },
      },
    ]
    for (const channel of requestChannels) {
      for (const event of foreign) {
        expect(await invoke(event, channel, {})).toEqual({
          ok: false,
          error: { kind: 'forbidden', message: 'This request did not come from the app window.' },
        })
      }
    }
    expect(calls).toEqual([])
    expect(await invoke(own, 'session.get', {})).toMatchObject({ ok: false, error: { kind: 'internal' } })
    expect(calls).toEqual(['session.get'])
    const navigatedAway = fakeWindow('https://evil.example/')
    expect(
      isTrustedSender(
        {
          sender: navigatedAway.webContents,
          senderFrame: navigatedAway.webContents.mainFrame,
        } as unknown as IpcMainInvokeEvent,
        navigatedAway as unknown as BrowserWindow,
        null,
      ),
    ).toBe(false)
  })

  it('rejects malformed payloads and channel names from the app window with typed errors', async () => {
    const { invoke, calls, own } = setup()
    const junk: unknown[] = [undefined, null, 42, 'x', [], { extra: true }, { workspaceId: 'not-a-uuid' }]
    for (const channel of requestChannels) {
      for (const payload of junk) {
        if (requests[channel].request.safeParse(payload).success) continue
        const reply = (await invoke(own, channel, payload)) as { ok: boolean; error?: { kind: string } }
        expect(reply).toMatchObject({ ok: false, error: { kind: 'invalid_input' } })
      }
    }
    for (const channel of [42, null, {}, '__proto__', 'app:request']) {
      expect(await invoke(own, channel, {})).toMatchObject({ ok: false, error: { kind: 'invalid_input' } })
    }
    expect(calls).toEqual([])
  })

  it('forwards core events to the window and unregisters on dispose', () => {
    const { window, listeners, dispose, ipcMain } = setup()
    listeners[0]!('badge.changed' as never, { total: 1, perWorkspace: {} })
    expect(window.webContents.send).toHaveBeenCalledWith(ipcChannels.event, 'badge.changed', {
      total: 1,
      perWorkspace: {},
    })
    dispose()
    expect(ipcMain.removeHandler).toHaveBeenCalledWith(ipcChannels.request)
  })
})

describe('Electron platform', () => {
  function deps(overrides: Partial<ElectronPlatformDeps> = {}) {
    const window = fakeWindow()
    const natives: (EventEmitter & {
      options: unknown
      show: ReturnType<typeof vi.fn>
      close: ReturnType<typeof vi.fn>
    })[] = []
    const clicks: DesktopNotification[] = []
    const power = new EventEmitter()
    const tray = { setToolTip: vi.fn() }
    const app = { getPath: () => '/data', getVersion: () => '1.2.3', setBadgeCount: vi.fn(() => true) }
    const full: ElectronPlatformDeps = {
      app,
      safeStorage: {
        isEncryptionAvailable: () => true,
        encryptString: (s: string) => Buffer.from(`enc:${s}`),
        decryptString: (b: Buffer) => b.toString().replace(/^enc:/, ''),
        getSelectedStorageBackend: () => 'gnome_libsecret',
      },
      powerMonitor: power as never,
      shell: { openExternal: vi.fn(async () => {}) },
      forkUtility: () => {
        throw new Error('these tests start no utility process')
      },
      createNotification: (options) => {
        const native = Object.assign(new EventEmitter(), { options, show: vi.fn(), close: vi.fn() })
        natives.push(native)
        return native as never
      },
      isOnline: () => true,
      window: () => window as unknown as BrowserWindow,
      tray: () => tray,
      overlayIcon: () => null,
      platform: 'linux',
      onNotificationClick: (n) => clicks.push(n),
      logger,
      ...overrides,
    }
    return { full, window, natives, clicks, power, tray, app }
  }

  it("uses safeStorage, and calls Linux's hard-coded-key fallback unavailable", () => {
    const secure = createElectronPlatform(deps().full).secretStore
    expect(secure.isAvailable()).toBe(true)
    expect(secure.decrypt(secure.encrypt('token'))).toBe('token')
    const basic = deps()
    basic.full.safeStorage = { ...basic.full.safeStorage, getSelectedStorageBackend: () => 'basic_text' }
    expect(createElectronPlatform(basic.full).secretStore.isAvailable()).toBe(false)
  })

  it('shows notifications, replaces a burst summary, and a click focuses the window and opens the conversation', () => {
    const { full, natives, clicks, window } = deps()
    const platform = createElectronPlatform(full)
    const single: DesktopNotification = {
      id: 'message:1',
      title: 'Dana · Acme',
      body: 'hi',
      workspaceId: '7c2e9b14-3f6a-4d81-9e05-b8a1c4d2f637',
      contactId: '3a8d5f20-c9b1-4e67-8f42-d16e0ab9c753',
      sound: false,
    }
    platform.notify(single)
    expect(natives[0]!.options).toEqual({ title: 'Dana · Acme', body: 'hi', silent: true })
    expect(natives[0]!.show).toHaveBeenCalled()
    natives[0]!.emit('click')
    expect(window.restore).toHaveBeenCalled()
    expect(window.focus).toHaveBeenCalled()
    expect(clicks).toEqual([single])
    const summary = { ...single, id: 'burst:x', contactId: null, body: '4 new messages' }
    platform.notify(summary)
    platform.notify({ ...summary, body: '5 new messages' })
    expect(natives[1]!.close).toHaveBeenCalled()
  })

  it('drives the badge count, the Windows overlay and the tray tooltip', () => {
    const linux = deps()
    createElectronPlatform(linux.full).setBadge({ total: 3, perWorkspace: {} })
    expect(linux.app.setBadgeCount).toHaveBeenCalledWith(3)
    expect(linux.tray.setToolTip).toHaveBeenCalledWith('SMS Inbox — 3 unread')
    expect(linux.window.setOverlayIcon).not.toHaveBeenCalled()
    const windows = deps({ platform: 'win32' })
    const platform = createElectronPlatform(windows.full)
    platform.setBadge({ total: 120, perWorkspace: {} })
    expect(windows.window.setOverlayIcon).toHaveBeenCalledWith(null, '99+ unread')
    platform.setBadge({ total: 0, perWorkspace: {} })
    expect(windows.window.setOverlayIcon).toHaveBeenLastCalledWith(null, '')
    expect(windows.tray.setToolTip).toHaveBeenLastCalledWith('SMS Inbox')
  })

  it('reports resume and unlock, window focus, and opens only safe external links', async () => {
    const { full, power } = deps()
    const platform = createElectronPlatform(full)
    expect(platform.isFocused?.()).toBe(false)
    const resumes: number[] = []
    const off = platform.onResume(() => resumes.push(1))
    power.emit('resume')
    power.emit('unlock-screen')
    off()
    power.emit('resume')
    expect(resumes).toHaveLength(2)
    await platform.openExternal('https://example.com/')
    await platform.openExternal('file:///etc/passwd')
    expect(full.shell.openExternal).toHaveBeenCalledTimes(1)
  })
})
