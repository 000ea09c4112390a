import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { statusMb } from './proc-status.ts'

const root = resolve(import.meta.dirname, '../..')
const START_TIMEOUT_MS = 180_000
/** At rest: the whole app's RSS moved less than this over the last SETTLE_WINDOW samples. */
const SETTLED_MB = 2
const SETTLE_WINDOW = 8
const SAMPLE_EVERY_MS = 250
const SETTLE_LIMIT_MS = 30_000

/**
 * `npm run web`'s command line as package.json has it (its Node flags included),
 * with the repository's Node 24 for `node`, so what is measured is what a person starts.
 */
export function webCommand(): { node: string; args: string[] } {
  const manifest = JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8')) as {
    scripts?: Record<string, unknown>
  }
  const script = manifest.scripts?.web
  if (typeof script !== 'string') throw new Error('package.json has no web script')
  const [program, ...args] = script.split(/\s+/)
  if (program !== 'node') throw new Error(`npm run web runs ${program}, not node: measure that instead`)
  return { node: resolve(root, 'node_modules/.bin/node'), args }
}

/** Starts `npm run web` on free ports and resolves with its launch link once it printed one. */
export function startWeb(dataDir: string): Promise<{ child: ChildProcess; url: string }> {
  const { node, args } = webCommand()
  const child = spawn(node, [...args, '--port', '0', '--backend-port', '0', '--data-dir', dataDir], {
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

export async function stopWeb(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise<void>((done) => child.once('exit', () => done()))
  child.kill('SIGTERM')
  const forced = setTimeout(() => child.kill('SIGKILL'), 15_000)
  await exited
  clearTimeout(forced)
}

/** A process's resident set in MB, from /proc. */
export const rssMb = (pid: number) => statusMb(pid, 'VmRSS')

/**
 * The app's proportional set size in MB: each page counted once however many of its
 * processes map it (the Node binary's code is the same pages in every process, and
 * RSS counts them in each).
 */
export function wholeAppPss(main: number): number {
  const { backend, others } = appProcesses(main)
  return [main, backend, ...others].reduce((sum, pid) => {
    const kb = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))
    if (!kb) throw new Error(`process ${pid} reports no Pss`)
    return sum + Number(kb[1]) / 1024
  }, 0)
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

/** MB resident in each of the app's processes; `others` sums every child that is not the backend. */
export type AppRss = { main: number; backend: number; others: number }

export const wholeApp = (rss: AppRss) => rss.main + rss.backend + rss.others

/** The most each of the app's processes has ever held resident, in MB (a start's compilers, a sync's pages). */
export function peakRss(main: number): AppRss {
  const processes = appProcesses(main)
  return {
    main: statusMb(processes.main, 'VmHWM'),
    backend: statusMb(processes.backend, 'VmHWM'),
    others: processes.others.reduce((sum, pid) => sum + statusMb(pid, 'VmHWM'), 0),
  }
}

/** Samples every process until their sum stops moving (or the limit passes), then reports the last sample. */
export async function rssAtRest(main: number): Promise<AppRss> {
  const samples: AppRss[] = []
  const started = performance.now()
  for (;;) {
    const processes = appProcesses(main)
    samples.push({
      main: rssMb(processes.main),
      backend: rssMb(processes.backend),
      others: processes.others.reduce((sum, pid) => sum + rssMb(pid), 0),
    })
    const recent = samples.slice(-SETTLE_WINDOW).map(wholeApp)
    const settled = recent.length === SETTLE_WINDOW && Math.max(...recent) - Math.min(...recent) < SETTLED_MB
    if (settled || performance.now() - started > SETTLE_LIMIT_MS) return samples[samples.length - 1]!
    await new Promise((wake) => setTimeout(wake, SAMPLE_EVERY_MS))
  }
}
