import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { readFileSync } from 'node:fs'
import { startLocalBackend } from '../local-backend/index.ts'
import { createMemoryLogger } from '../logging/logger.ts'
const rss = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))![1]) / 1024
const mb = (n: number) => (n / 1048576).toFixed(1)
const show = (what: string, db: any) => { const m = process.memoryUsage(); console.log(what, 'rss', rss().toFixed(1), 'heapUsed', mb(m.heapUsed), 'heapTotal', mb(m.heapTotal), 'external', mb(m.external), 'arrayBuffers', mb(m.arrayBuffers), 'wasm', db ? mb(db.mod.HEAPU8.byteLength) : '-') }
show('bare', undefined)
const backend = await startLocalBackend({ port: 0, seed: true, dataDir: mkdtempSync(join(tmpdir(), 'probe-')), logger: createMemoryLogger('p').logger })
show('started', backend.db)
await new Promise((r) => setTimeout(r, 2000))
;(globalThis as any).gc?.()
show('after gc', backend.db)
const smaps = readFileSync('/proc/self/smaps', 'utf8').split('\n')
let cur = ''; const big: [string, number][] = []
for (const line of smaps) { if (/^[0-9a-f]+-/.test(line)) cur = line; const m = /^Rss:\s+(\d+)/.exec(line); if (m && Number(m[1]) > 4096) big.push([cur, Number(m[1]) / 1024]) }
big.sort((a, b) => b[1] - a[1]).slice(0, 12).forEach(([l, v]) => console.log(v.toFixed(1).padStart(7), l.slice(0, 120)))
await backend.stop()
