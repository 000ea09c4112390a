// Imported first by bench/run.ts. The benches host the embedded backend in their own
// process, so that process runs as the app runs the backend's child: with its V8
// flags (baseline WebAssembly only, a 1 MB young generation) and glibc's allocator
// settings, both read only at a process's start. Measured otherwise a bench reports a
// backend the app never runs: with V8's optimizing compiler the inbox SQL answered
// 1.6x as fast, the price being a 730 MB peak the app does not pay
// (src/main/embedded-stack/launcher.ts). On Linux the process starts itself again in
// place (same process id and arguments); elsewhere it runs a child and exits with it.
import { spawnSync } from 'node:child_process'
import { glibcMallocTunables } from '../src/main/core/glibc-malloc.ts'
import { backendMemoryFlags } from '../src/main/embedded-stack/launcher.ts'

const missingFlags = backendMemoryFlags.filter((flag) => !process.execArgv.includes(flag))
const missingTunables = process.platform === 'linux' && process.env.GLIBC_TUNABLES === undefined

if (missingFlags.length > 0 || missingTunables) {
  const args = [...missingFlags, ...process.execArgv, ...process.argv.slice(1)]
  const env = { ...process.env, GLIBC_TUNABLES: process.env.GLIBC_TUNABLES ?? glibcMallocTunables }
  if (process.execve) process.execve(process.execPath, [process.execPath, ...args], env)
  const child = spawnSync(process.execPath, args, { stdio: 'inherit', env })
  process.exit(child.status ?? 1)
}
