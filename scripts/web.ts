// `npm run web`: the browser shell on the embedded default. Builds the renderer
// when needed, starts the app's services and prints the URL to open.
import { parseArgs } from 'node:util'
import { runBrowserShell } from '../src/main/browser-shell/run.ts'

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    'data-dir': { type: 'string' },
    open: { type: 'boolean', default: false },
  },
})

const port = values.port === undefined ? undefined : Number(values.port)
if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port < 65536)) {
  console.error(`--port must be a port number, not "${values.port}".`)
  process.exit(2)
}
await runBrowserShell({ port, dataDir: values['data-dir'], open: values.open })
