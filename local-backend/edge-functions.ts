import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { existsSync, readdirSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { z } from 'zod'
import { logChildOutput } from '../logging/child-output.ts'
import type { Logger } from '../src/shared/log.ts'
import { LISTENING } from './edge-runtime-protocol.ts'
import type { FunctionHandler } from './server.ts'

/**
 * Supabase Edge Functions (supabase/functions/<name>/index.ts) run as
 * `supabase functions serve` runs them: each in Deno 2, from the `deno` npm package,
 * with the environment the platform gives a function, reached through the backend's
 * /functions/v1/<name>. Deno listens on a loopback port of its own; the handler
 * mounted in the backend forwards each request there, as the function sees it on the
 * platform (/<name>/…), and hands back Deno's answer as it is.
 */

const repositoryRoot = resolve(import.meta.dirname, '..')
export const defaultFunctionsDir = join(repositoryRoot, 'supabase/functions')
const mainWorker = join(import.meta.dirname, 'edge-runtime-main.ts')
// Deno's caches, where the tests may write: inside the git-ignored node_modules.
const denoDir = join(repositoryRoot, 'node_modules/.cache/deno')

/** The Deno binary the `deno` npm package installed for this platform. */
function denoBinary(): string {
  const packageDir = dirname(createRequire(import.meta.url).resolve('deno/package.json'))
  const binary = join(packageDir, process.platform === 'win32' ? 'deno.exe' : 'deno')
  if (!existsSync(binary))
    throw new Error(
      `Deno is not installed at ${binary}: run npm ci (the deno package's install step puts it there).`,
    )
  return binary
}

/** The functions in `functionsDir`: each folder with an index.ts, except shared code (_shared) and hidden ones. */
export function edgeFunctionNames(functionsDir = defaultFunctionsDir): string[] {
  if (!existsSync(functionsDir)) return []
  return readdirSync(functionsDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && !/^[._]/.test(entry.name))
    .filter((entry) => existsSync(join(functionsDir, entry.name, 'index.ts')))
    .map((entry) => entry.name)
    .sort()
}

/** What hosted Supabase sets in every function's environment, for this backend. */
export function platformEnv(backend: {
  url: string
  publishableKey: string
  secretKey: string
  anonKey: string
  serviceRoleKey: string
}): Record<string, string> {
  return {
    SUPABASE_URL: backend.url,
    SUPABASE_PUBLISHABLE_KEYS: JSON.stringify({ default: backend.publishableKey }),
    SUPABASE_SECRET_KEYS: JSON.stringify({ default: backend.secretKey }),
    SUPABASE_ANON_KEY: backend.anonKey,
    SUPABASE_SERVICE_ROLE_KEY: backend.serviceRoleKey,
  }
}

const listeningSchema = z.object({ msg: z.literal(LISTENING), port: z.number().int().positive() })

export interface EdgeFunction {
  /** Mount it with backend.mountFunction(name, handler). */
  handler: FunctionHandler
  /** Deno's own loopback origin, which only the handler should need. */
  origin: string
  /** Ends Deno; resolves when it has exited. */
  stop(): Promise<void>
}

export interface EdgeFunctionOptions {
  /** The folder under `functionsDir` holding index.ts (and its deno.json, if any). */
  name: string
  functionsDir?: string
  /** The function's whole environment: platformEnv() and its secrets. Nothing else of this process's leaks in. */
  env: Record<string, string>
  logger: Logger
  startTimeoutMs?: number
}

export async function startEdgeFunction(options: EdgeFunctionOptions): Promise<EdgeFunction> {
  const folder = join(options.functionsDir ?? defaultFunctionsDir, options.name)
  const config = join(folder, 'deno.json')
  const child = spawn(
    denoBinary(),
    [
      'run',
      // Imports resolve from the repository's node_modules, as npm installed them: no download, the versions npm locked.
      '--node-modules-dir=manual',
      // A lock file would be written beside deno.json, into the repository.
      '--no-lock',
      ...(existsSync(config) ? ['--config', config] : []),
      '--allow-net',
      '--allow-env',
      '--allow-read',
      '--allow-sys',
      mainWorker,
      pathToFileURL(join(folder, 'index.ts')).href,
    ],
    {
      cwd: folder,
      env: { ...options.env, DENO_DIR: denoDir, NO_COLOR: '1', DENO_NO_UPDATE_CHECK: '1' },
      // stdin stays open, unused, while this process lives (edge-runtime-main.ts).
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  )
  const logger = options.logger.child({ edgeFunction: options.name })
  const logged = Promise.all([logChildOutput(child.stdout, logger), logChildOutput(child.stderr, logger)])
  const exited = once(child, 'exit').then(async ([code, signal]) => {
    await logged
    return { code: code as number | null, signal: signal as NodeJS.Signals | null }
  })

  const timeoutMs = options.startTimeoutMs ?? 60_000
  const port = await new Promise<number>((resolvePort, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`Edge Function ${options.name} did not start listening within ${timeoutMs} ms`))
    }, timeoutMs)
    // Watched beside logChildOutput's reading, which must own the stream: pausing it would stall Deno.
    let seen = ''
    const watch = (chunk: Buffer) => {
      seen += chunk.toString('utf8')
      for (const line of seen.split('\n')) {
        let json: unknown
        try {
          json = JSON.parse(line)
        } catch {
          continue
        }
        const listening = listeningSchema.safeParse(json)
        if (!listening.success) continue
        clearTimeout(timer)
        child.stdout.off('data', watch)
        resolvePort(listening.data.port)
        return
      }
    }
    child.stdout.on('data', watch)
    void exited.then(({ code, signal }) => {
      clearTimeout(timer)
      reject(
        new Error(`Edge Function ${options.name} exited (${signal ?? code}) before listening: see its log`),
      )
    })
  })
  const origin = `http://127.0.0.1:${port}`

  const handler: FunctionHandler = async (request, env) => {
    const incoming = new URL(request.url)
    const target = new URL(
      `/${encodeURIComponent(options.name)}${incoming.pathname}${incoming.search}`,
      origin,
    )
    const headers = new Headers(request.headers)
    for (const hopByHop of [
      'host',
      'connection',
      'keep-alive',
      'transfer-encoding',
      'upgrade',
      'te',
      'trailer',
    ])
      headers.delete(hopByHop)
    // As the platform's gateway does: the caller's address, for the function's per-address limits.
    const caller = (env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming
      ?.socket?.remoteAddress
    if (caller) {
      const earlier = headers.get('x-forwarded-for')
      headers.set('x-forwarded-for', earlier ? `${earlier}, ${caller}` : caller)
    }
    const hasBody = request.method !== 'GET' && request.method !== 'HEAD'
    return fetch(target, {
      method: request.method,
      headers,
      body: hasBody ? request.body : null,
      redirect: 'manual',
      signal: request.signal,
      ...(hasBody ? { duplex: 'half' } : {}),
    } as RequestInit)
  }

  return {
    handler,
    origin,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
      await exited
    },
  }
}
