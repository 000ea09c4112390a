import { parentPort, workerData } from 'node:worker_threads'
import type { HttpRequestSpec, LoadSpec, WorkerReport } from './http-load.ts'

const spec = workerData as LoadSpec
const port = parentPort!
const report = (message: WorkerReport) => port.postMessage(message)

async function send(request: HttpRequestSpec): Promise<void> {
  const response = await fetch(request.url, {
    method: request.method,
    headers: request.headers,
    ...(request.body !== undefined && { body: request.body }),
  })
  const body = await response.arrayBuffer()
  if (response.status !== request.expectedStatus)
    throw new Error(
      `${request.method} ${new URL(request.url).pathname} answered ${response.status}: ${Buffer.from(body).toString().slice(0, 200)}`,
    )
}

/** Sends every request, `concurrency` at a time; returns each one's latency. */
async function run(requests: HttpRequestSpec[]): Promise<number[]> {
  const latencies: number[] = []
  let next = 0
  await Promise.all(
    Array.from({ length: spec.concurrency }, async () => {
      while (next < requests.length) {
        const request = requests[next++]!
        const at = performance.now()
        await send(request)
        latencies.push(performance.now() - at)
      }
    }),
  )
  return latencies
}

try {
  await run(spec.warmup)
  const go = new Promise((resolve) => port.once('message', resolve))
  report({ kind: 'ready' })
  await go
  const started = performance.now()
  const latencies = await run(spec.measured)
  report({ kind: 'done', latencies, seconds: (performance.now() - started) / 1000 })
} catch (error) {
  report({ kind: 'failed', message: error instanceof Error ? error.message : String(error) })
}
