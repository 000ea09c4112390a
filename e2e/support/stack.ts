import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { startLocalBackend, type LocalBackend } from '../../local-backend/index.ts'
import { generateProjectKeys } from '../../local-backend/keys.ts'
import { startTwilioDouble, type TwilioDouble } from '../../local-backend/twilio/double.ts'
import { readMessageJournal, type JournalEntry } from '../../local-backend/twilio/message-journal.ts'
import { demoIds, type DemoIds } from '../../local-backend/db/demo-callers.ts'
import { ACME, GLOBEX } from '../../relay/demo-accounts.ts'
import { mountRelay } from '../../relay/embedded.ts'
import { createLogger } from '../../logging/logger.ts'
import type { Logger } from '../../src/shared/log.ts'
import { launchBrowserShell, type BrowserShell } from '../../src/main/browser-shell/launch.ts'
import { createAppCore } from '../../src/main/core/app-core.ts'
import { twilioJournalFile } from '../../src/main/embedded-stack/host-messages.ts'

export { ACME, GLOBEX }
export const DEMO_PASSWORD = 'inbox-demo-1'
export const root = resolve(import.meta.dirname, '../..')

/**
 * Everything real, in this process: the local backend (PGlite, Auth, REST,
 * Realtime) seeded in a temp folder, the Twilio double, the relay mounted as a
 * function, the main-process services, and the browser shell that serves the
 * built renderer. The test controls the backend's life for the offline flow.
 */
export interface Stack {
  backend: LocalBackend
  /** The ids the backend's seed drew (kept across restarts: same data folder). */
  demo: DemoIds
  double: TwilioDouble
  relayUrl: string
  shell: BrowserShell
  logs: string[]
  /** The backend's PGlite folder, to write into it while the backend is stopped. */
  dataDir: string
  /** A customer texts a workspace through the Twilio double's signed webhook. */
  inbound(from: string, body: string, workspace?: typeof ACME): Promise<void>
  stopBackend(): Promise<void>
  restartBackend(): Promise<void>
  /** Stops the shell host (services and page server) and starts it again on the same port and data folder. */
  stopShell(): Promise<void>
  startShell(): Promise<void>
  close(): Promise<void>
}

/**
 * The shell as tests use it: each read of `url` is a new launch link, since a link
 * works once and every test's tab opens its own (as a person opens the printed one).
 */
function withFreshLinks(shell: BrowserShell): BrowserShell {
  return {
    ...shell,
    get url() {
      return shell.newLaunchUrl()
    },
  }
}

const appVersion = () =>
  (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version

/** Keeps every log line (a test asserts the launch token is never among them); E2E_LOGS=1 also prints them. */
export function capturingLogger(lines: string[]): Logger {
  return createLogger('e2e', {
    write(line) {
      lines.push(line.trimEnd())
      if (process.env.E2E_LOGS) process.stderr.write(line)
    },
  })
}

/** The Twilio double with the demo workspaces' accounts. */
export const startDemoTwilioDouble = (logger: Logger) =>
  startTwilioDouble({
    accounts: [
      { sid: ACME.accountSid, authToken: ACME.authToken },
      { sid: GLOBEX.accountSid, authToken: GLOBEX.authToken },
    ],
    logger,
  })

/**
 * One agent's app main process as the browser shell runs it: the services on their own
 * user-data folder, reaching a custom backend and relay.
 */
export async function launchAppShell(options: {
  supabaseUrl: string
  publishableKey: string
  relayUrl: string
  userDataDir: string
  logger: Logger
  port: number
}): Promise<BrowserShell> {
  const { supabaseUrl, publishableKey, relayUrl, userDataDir, logger, port } = options
  return withFreshLinks(
    await launchBrowserShell({
      createCore: (platform) =>
        createAppCore(platform, {
          backend: { mode: 'custom', supabaseUrl, publishableKey, relayUrl },
          logger,
        }),
      userDataDir,
      appVersion: appVersion(),
      rendererDir: join(root, 'out/renderer'),
      logger,
      port,
    }),
  )
}

/**
 * A customer texts a workspace through the Twilio double, which handles STOP and START
 * as Twilio does, then posts its signed webhook to the relay.
 */
export async function textWorkspace(
  double: TwilioDouble,
  relayUrl: string,
  from: string,
  body: string,
  workspace = ACME,
) {
  const result = await double.receiveSms({
    accountSid: workspace.accountSid,
    to: workspace.number,
    from,
    body,
    relayUrl,
  })
  if (result.status >= 300) throw new Error(`The relay refused the inbound SMS with ${result.status}`)
}

export async function startStack(
  options: {
    prepare?: (backend: LocalBackend, demo: DemoIds) => Promise<void>
    /** Where the app's services reach the backend, when not directly (a test's proxy in between). */
    appBackendUrl?: (backend: LocalBackend) => Promise<string>
  } = {},
): Promise<Stack> {
  const dir = mkdtempSync(join(tmpdir(), 'sms-inbox-e2e-'))
  const logs: string[] = []
  const logger = capturingLogger(logs)
  const backendDir = join(dir, 'backend')
  // Kept across the restart below, as the embedded default keeps its keys file: sessions outlive it.
  const keys = await generateProjectKeys()
  let backend = await startLocalBackend({ port: 0, dataDir: backendDir, seed: true, logger, keys })
  const port = backend.port
  const demo = await demoIds(backend.db)
  await options.prepare?.(backend, demo)
  const double = await startDemoTwilioDouble(logger)
  const mount = (target: LocalBackend) =>
    mountRelay(target, { twilioApiBaseUrl: double.url, logger }).relayUrl
  const relayUrl = mount(backend)
  const appBackendUrl = (await options.appBackendUrl?.(backend)) ?? backend.url
  const userDataDir = join(dir, 'user-data')
  const launchShell = (port: number) =>
    launchAppShell({
      supabaseUrl: appBackendUrl,
      publishableKey: backend.publishableKey,
      relayUrl,
      userDataDir,
      logger,
      port,
    })
  let shell: BrowserShell | null = await launchShell(0)
  const shellPort = shell.port
  let running = true
  return {
    get backend() {
      return backend
    },
    demo,
    double,
    relayUrl,
    get shell() {
      if (!shell) throw new Error('the shell is stopped')
      return shell
    },
    logs,
    dataDir: backendDir,
    inbound: (from, body, workspace = ACME) => textWorkspace(double, relayUrl, from, body, workspace),
    async stopBackend() {
      running = false
      await backend.stop()
    },
    async restartBackend() {
      backend = await startLocalBackend({ port, dataDir: backendDir, seed: true, logger, keys })
      mount(backend)
      running = true
    },
    async stopShell() {
      await shell?.close()
      shell = null
    },
    async startShell() {
      shell = await launchShell(shellPort)
    },
    async close() {
      await shell?.close()
      await double.stop()
      if (running) await backend.stop()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

export interface EmbeddedShell {
  shell: BrowserShell
  /** The embedded Twilio double's Messages list, read from its journal, which outlives the child's crashes. */
  twilioMessages(): JournalEntry['message'][]
  close(): Promise<void>
}

/** `npm run web` as it ships: the browser shell on the embedded default, its backend in a child process. */
export async function startEmbeddedShell(): Promise<EmbeddedShell> {
  const dir = mkdtempSync(join(tmpdir(), 'sms-inbox-e2e-embedded-'))
  const logger = capturingLogger([])
  const userDataDir = join(dir, 'user-data')
  const shell = withFreshLinks(
    await launchBrowserShell({
      createCore: (platform) => createAppCore(platform, { env: {}, logger, embeddedPort: 0 }),
      userDataDir,
      appVersion: appVersion(),
      rendererDir: join(root, 'out/renderer'),
      logger,
    }),
  )
  return {
    shell,
    twilioMessages: () =>
      readMessageJournal(twilioJournalFile(join(userDataDir, 'embedded-backend'))).map(
        (entry) => entry.message,
      ),
    async close() {
      await shell.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
