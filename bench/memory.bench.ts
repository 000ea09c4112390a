// The memory of the whole app as an agent runs it: `npm run web` started as a
// person starts it, and the resident set (RSS, from /proc) of every process it
// starts, at rest after start-up and at rest after a first sync of the scale's
// conversations through the page's own API. Under `npm run web` the relay and the
// Twilio double live in the embedded backend's child and the page server in the
// main process, so those two processes are the whole app. Floor: a bare Node
// process, measured in the same run.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { openDatabase } from '../local-backend/db/database.ts'
import { demoIds } from '../local-backend/db/demo-callers.ts'
import { connectShellClient, exchangeLaunchToken } from '../test/support/shell-client.ts'
import { DEMO_PASSWORD } from '../relay/demo-accounts.ts'
import { atScale, seedSizes, type Scale } from './scale.ts'
import type { BenchRow } from './types.ts'
import { addVolume } from './volume.ts'

const root = resolve(import.meta.dirname, '..')
const node = resolve(root, 'node_modules/.bin/node')
const START_TIMEOUT_MS = 120_000
const SYNC_TIMEOUT_MS = 300_000
/** At rest: the whole app's RSS moved less than this over the last SETTLE_WINDOW samples. */
const SETTLED_MB = 2
const SETTLE_WINDOW = 8
const SAMPLE_EVERY_MS = 250
const SETTLE_LIMIT_MS = 30_000

const rssMb = (pid: number): number => {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kb = /^VmRSS:\s+(\d+) kB/m.exec(status)
  if (!kb) throw new Error(`process ${pid} reports no VmRSS`)
  return Number(kb[1]) / 1024
}

/** The processes `npm run web` runs: itself, and each child it started. */
function appProcesses(main: number): { main: number; backend: number; others: number[] } {
  const listing = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(main)], { encoding: 'utf8' })
  const children = listing
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => ({ pid: Number.parseInt(line.trim(), 10), args: line }))
  const backend = children.find((child) => child.args.includes('embedded-stack'))
  if (!backend) throw new Error('npm run web has no embedded backend child')
  return { main, backend: backend.pid, others: children.filter((c) => c !== backend).map((c) => c.pid) }
}

type Rss = { main: number; backend: number; others: number }

/** Samples every process until their sum stops moving (or the limit passes), then reports the last sample. */
async function rssAtRest(main: number): Promise<Rss> {
  const samples: Rss[] = []
  const started = performance.now()
  for (;;) {
    const processes = appProcesses(main)
    samples.push({
      main: rssMb(processes.main),
      backend: rssMb(processes.backend),
      others: processes.others.reduce((sum, pid) => sum + rssMb(pid), 0),
    })
    const recent = samples.slice(-SETTLE_WINDOW).map((rss) => rss.main + rss.backend + rss.others)
    const settled = recent.length === SETTLE_WINDOW && Math.max(...recent) - Math.min(...recent) < SETTLED_MB
    if (settled || performance.now() - started > SETTLE_LIMIT_MS) return samples[samples.length - 1]!
    await new Promise((wake) => setTimeout(wake, SAMPLE_EVERY_MS))
  }
}

/** RSS of a Node process that loads nothing: what any process of the app costs before its code. */
function bareNodeRss(): number {
  return (
    Number(
      execFileSync(
        node,
        [
          '-e',
          "setTimeout(() => process.stdout.write(/^VmRSS:\\s+(\\d+)/m.exec(require('fs').readFileSync('/proc/self/status', 'utf8'))[1]), 500)",
        ],
        { encoding: 'utf8' },
      ),
    ) / 1024
  )
}

/** Starts `npm run web` on free ports and resolves with its launch link once it printed one. */
function startWeb(dataDir: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(node, ['scripts/web.ts', '--port', '0', '--backend-port', '0', '--data-dir', dataDir], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  return new Promise((resolveStart, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`npm run web printed no link: ${output}`)),
      START_TIMEOUT_MS,
    )
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString()
      const link = /http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]+/.exec(output)
      if (link) {
        clearTimeout(timer)
        resolveStart({ child, url: link[0] })
      }
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`npm run web exited with ${code}: ${output}`))
    })
  })
}

async function stopWeb(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise<void>((done) => child.once('exit', () => done()))
  child.kill('SIGTERM')
  const forced = setTimeout(() => child.kill('SIGKILL'), 15_000)
  await exited
  clearTimeout(forced)
}

export async function run(scale: Scale): Promise<BenchRow[]> {
  const { conversations } = atScale(seedSizes.cache, scale)
  const userData = mkdtempSync(join(tmpdir(), 'memory-bench-'))
  let web: ChildProcess | undefined
  try {
    // The backend's data as a later launch finds it: seeded, and Acme with the scale's conversations.
    const db = await openDatabase({ dataDir: join(userData, 'embedded-backend'), seed: true })
    const { acme } = await demoIds(db)
    await addVolume(db, acme, { contacts: conversations, messages: conversations * 2 })
    await db.close()

    const started = await startWeb(userData)
    web = started.child
    const idle = await rssAtRest(web.pid!)

    const client = await connectShellClient(
      new URL(started.url).origin,
      await exchangeLaunchToken(started.url),
    )
    const syncStarted = performance.now()
    await client.value('session.signIn', { email: 'ben@acme.test', password: DEMO_PASSWORD })
    // A sync that does not finish in time leaves the figures at rest after start standing.
    const live = await client
      .waitForEvent(
        'connection.changed',
        (state) => state.status === 'live' && state.lastSyncAt !== null,
        'the first sync',
        { ms: SYNC_TIMEOUT_MS },
      )
      .then(
        () => true,
        () => false,
      )
    const syncSeconds = (performance.now() - syncStarted) / 1000
    if (live) {
      const { counts } = await client.value('conversations.list', {
        workspaceId: acme,
        filter: 'All',
        limit: 1,
      })
      if (counts.All < conversations)
        throw new Error(`the cache holds ${counts.All} of Acme's ${conversations} conversations`)
    }
    const afterSync = live ? await rssAtRest(web.pid!) : null
    client.close()

    const floor = { name: 'bare Node process', value: bareNodeRss() }
    const rows = (state: string, rss: Rss): BenchRow[] => {
      const whole = rss.main + rss.backend + rss.others
      return [
        { name: `${state}: main process (services, cache, page server)`, value: rss.main, unit: 'MB', floor },
        {
          name: `${state}: embedded backend child (PGlite, Auth/REST/Realtime, relay, Twilio double)`,
          value: rss.backend,
          unit: 'MB',
          floor,
        },
        ...(rss.others > 0 ? [{ name: `${state}: other children`, value: rss.others, unit: 'MB' }] : []),
        {
          name: `${state}: whole app, every process`,
          value: whole,
          unit: 'MB',
          target: '< 300 MB',
          meetsTarget: whole < 300,
        },
      ]
    }
    return [
      ...rows('RSS at rest after start', idle),
      ...(afterSync ? rows('RSS at rest after the first sync', afterSync) : []),
      {
        name: 'first sync of the conversations (sign-in → live)',
        value: syncSeconds,
        unit: 's',
        target: `finishes within ${SYNC_TIMEOUT_MS / 1000} s`,
        meetsTarget: live,
      },
    ]
  } finally {
    if (web) await stopWeb(web)
    rmSync(userData, { recursive: true, force: true })
  }
}
