import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { openAppLog } from '../../../logging/app-log.ts'
import { createAppCore } from '../core/app-core.ts'
import { launchBrowserShell, rendererNeedsBuild } from './launch.ts'
import { openInSystemBrowser } from './open-browser.ts'

const root = resolve(import.meta.dirname, '../../..')

export interface RunOptions {
  port?: number | undefined
  dataDir?: string | undefined
  open?: boolean
}

/**
 * The terminal gets a few human lines: the URL (with its token, so it goes only to
 * stdout, once, never to the log), the backend's state and errors. The JSON log
 * is in the data folder's logs/.
 */
export async function runBrowserShell(options: RunOptions): Promise<void> {
  const fail = (message: string): never => {
    console.error(message)
    process.exit(1)
  }
  if (rendererNeedsBuild(root)) {
    console.log('Building the app (first run, or the sources changed)…')
    const build = spawnSync(resolve(root, 'node_modules/.bin/electron-vite'), ['build'], {
      cwd: root,
      stdio: ['ignore', 'ignore', 'inherit'],
    })
    if (build.status !== 0 || rendererNeedsBuild(root))
      fail('The app could not be built; the errors are above.')
  }
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
      createCore: (platform) => createAppCore(platform, { logger }),
      userDataDir,
      appVersion: version,
      rendererDir: join(root, 'out/renderer'),
      logger,
      ...(options.port === undefined ? {} : { port: options.port }),
    })
  } catch (error) {
    const code = (error as { code?: unknown }).code
    return fail(
      code === 'EADDRINUSE'
        ? `Port ${options.port} is already in use; pick another with --port, or 0 for any free port.`
        : `SMS Inbox could not start: ${error instanceof Error ? error.message : String(error)}`,
    )
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
