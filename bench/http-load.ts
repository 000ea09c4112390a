import { once } from 'node:events'
import { Worker } from 'node:worker_threads'

/**
 * HTTP load from its own thread, as the app's requests come from another process
 * (the main process calls the backend's child) and as the PostgreSQL 15 floor's
 * server runs apart from its client: the server under test keeps its thread to
 * itself. The CPU figure stays the whole process's, client and server together.
 */
export interface HttpRequestSpec {
  url: string
  method: 'GET' | 'POST'
  headers: Record<string, string>
  body?: string
  expectedStatus: number
}

export interface LoadSpec {
  /** Sent first and not measured, so both sides' code is warm. */
  warmup: HttpRequestSpec[]
  measured: HttpRequestSpec[]
  concurrency: number
}

export interface Load {
  perSecond: number
  latencies: number[]
  /** CPU time of this process (every thread) per operation: robust to other processes sharing the cores. */
  cpuMsPerOp: number
}

/** What the worker posts: `ready` after its warm-up, then the timings or the first failure. */
export type WorkerReport =
  | { kind: 'ready' }
  | { kind: 'done'; latencies: number[]; seconds: number }
  | { kind: 'failed'; message: string }

export async function loadFromWorker(what: string, spec: LoadSpec): Promise<Load> {
  const worker = new Worker(new URL('./http-load-worker.ts', import.meta.url), { workerData: spec })
  try {
    const [ready] = (await once(worker, 'message')) as [WorkerReport]
    if (ready.kind === 'failed') throw new Error(`${what}: ${ready.message}`)
    const cpu = process.cpuUsage()
    worker.postMessage('go')
    const [report] = (await once(worker, 'message')) as [WorkerReport]
    const used = process.cpuUsage(cpu)
    if (report.kind !== 'done')
      throw new Error(`${what}: ${report.kind === 'failed' ? report.message : 'no timings'}`)
    const count = spec.measured.length
    process.stderr.write(`http load: ${what}: ${count} in ${report.seconds.toFixed(1)} s\n`)
    return {
      perSecond: count / report.seconds,
      latencies: report.latencies,
      cpuMsPerOp: (used.user + used.system) / 1000 / count,
    }
  } finally {
    await worker.terminate()
  }
}
