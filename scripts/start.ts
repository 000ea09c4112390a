// `npm start`: the Electron app when its binary is installed; otherwise the same
// app in the system browser through the browser shell.
import { spawn } from 'node:child_process'
import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { installedElectronBinary } from '../src/main/browser-shell/electron-binary.ts'
import { runBrowserShell } from '../src/main/browser-shell/run.ts'

const root = resolve(import.meta.dirname, '..')

/** Why Electron cannot start here, or null when it can. */
function electronUnavailable(): string | null {
  if (installedElectronBinary(root) === null) {
    return 'Electron’s binary is not installed (its download was skipped or blocked), so SMS Inbox opens in your browser instead.'
  }
  if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) {
    return 'There is no display to open a window on, so SMS Inbox runs as a local web app instead.'
  }
  return null
}

const { values } = parseArgs({
  options: { port: { type: 'string' }, 'backend-port': { type: 'string' } },
})

const reason = electronUnavailable()
if (reason === null) {
  // The window's services read the backend port where every host does: SMS_INBOX_BACKEND_PORT.
  const backendPort = values['backend-port']
  const child = spawn(resolve(root, 'node_modules/.bin/electron-vite'), ['preview'], {
    cwd: root,
    stdio: 'inherit',
    env: backendPort === undefined ? process.env : { ...process.env, SMS_INBOX_BACKEND_PORT: backendPort },
  })
  child.on('exit', (code) => process.exit(code ?? 0))
  child.on('error', () => {
    console.error('Electron could not be started; run `npm run web` to use SMS Inbox in your browser.')
    process.exit(1)
  })
} else {
  console.log(reason)
  await runBrowserShell({ open: true, port: values.port, backendPort: values['backend-port'] })
}
