import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { openAppLog } from '../../../logging/app-log.ts'
import { requests } from '../../shared/contract.ts'
import { choosePort, parsePort, portInUseMessage } from '../../shared/ports.ts'
import { createAppCore } from '../core/app-core.ts'
import { launchBrowserShell, rendererNeedsBuild } from './launch.ts'
import { openInSystemBrowser } from './open-browser.ts'

const root = resolve(import.meta.dirname, '../../..')

export interface RunOptions {
  /** The page's port as typed (--port); else SMS_INBOX_PORT, else the fixed default. */
  port?: string | undefined
  /** The embedded backend's port as typed (--backend-port); else the core reads SMS_INBOX_BACKEND_PORT. */
  backendPort?: string | undefined
  dataDir?: string | undefined
  open?: boolean
}

/**
 * The terminal gets a few human lines: the URL (with its token, so it goes only to
 * stdout, once, never to the log), the backend's state and errors. The JSON log
 * is in the data folder's logs/.
 */
export async function runBrowserShell(options: RunOptions): Promise<void> {
  const fail = (message: string, code = 1): never => {
    console.error(message)
    process.exit(code)
  }
  const port = choosePort('shell', options.port, process.env)
  if (!port.ok) return fail(port.error.message, 2)
  const backendPort =
    options.backendPort === undefined ? undefined : parsePort(options.backendPort, '--backend-port')
  if (backendPort && !backendPort.ok) return fail(backendPort.error.message, 2)
  const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string })
    .version
  const userDataDir = resolve(options.dataDir ?? join(root, '.local-data/browser-shell'))
  const logDir = join(userDataDir, 'logs')
  const { logger } = await openAppLog({
    component: 'browser-shell',
    dir: logDir,
    print: (line) => console.log(line),
  })
  let shell
  try {
    shell = await launchBrowserShell({
      createCore: (platform) =>
        createAppCore(platform, { logger, ...(backendPort ? { embeddedPort: backendPort.value } : {}) }),
      userDataDir,
      appVersion: version,
      rendererDir: join(root, 'out/renderer'),
      logger,
      port: port.value,
    })
  } catch (error) {
    const code = (error as { code?: unknown }).code
    return fail(
      code === 'EADDRINUSE'
        ? portInUseMessage('shell', port.value, 'SMS Inbox cannot serve its page there')
        : `SMS Inbox could not start: ${error instanceof Error ? error.message : String(error)}`,
    )
  }
  // The services start first, so a backend that cannot start (a taken port) is told at
  // once, in its one line, rather than after a build and behind a page that cannot work.
  const embedded = await shell.core.dispatch('embedded.get', {})
  const stopped = requests['embedded.get'].response.safeParse(embedded.ok ? embedded.value : null)
  if (stopped.success && stopped.data.status === 'stopped') {
    await shell.close()
    return fail(stopped.data.problem)
  }
  if (rendererNeedsBuild(root)) {
    console.log('Building the app (first run, or the sources changed)…')
    const status = await new Promise<number | null>((done) =>
      spawn(resolve(root, 'node_modules/.bin/electron-vite'), ['build'], {
        cwd: root,
        stdio: ['ignore', 'ignore', 'inherit'],
      }).on('close', done),
    )
    if (status !== 0 || rendererNeedsBuild(root)) {
      await shell.close()
      return fail('The app could not be built; the errors are above.')
    }
  }
  console.log(
    `SMS Inbox is running. Open this link in your browser (it is your personal key; don’t share it):\n\n  ${shell.url}\n\nLogs: ${logDir}`,
  )
  if (options.open && openInSystemBrowser(shell.url)) console.log('Opened it in your browser.')
  console.log('Press Ctrl+C to stop.')
  const stop = () => {
    void shell.close().finally(() => process.exit(0))
  }
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
}
