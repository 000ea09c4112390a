// `npm run web`: the browser shell on the embedded default. Starts the app's
// services, builds the renderer when needed and prints the URL to open.
import { parseArgs } from 'node:util'
import { runBrowserShell } from '../src/main/browser-shell/run.ts'

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    'backend-port': { type: 'string' },
    'data-dir': { type: 'string' },
    open: { type: 'boolean', default: false },
  },
})

await runBrowserShell({
  port: values.port,
  backendPort: values['backend-port'],
  dataDir: values['data-dir'],
  open: values.open,
})
