// Imported first by bench/run.ts. The benches host the embedded backend in their own
// process, so that process runs as the app runs the backend's child: with its V8
// flags and working directory (where V8 finds the list of Postgres functions to
// optimize, src/main/embedded-stack/wasm-tiering.ts) and glibc's allocator settings,
// all read only at a process's start. Measured otherwise a bench reports a backend the
// app never runs: with V8's own choice of functions the process peaked at 730 MB, with
// baseline code alone the inbox SQL answered two thirds as fast. On Linux the process
// starts itself again in place (same process id and arguments); elsewhere it runs a
// child and exits with it. The benches name every file by its absolute path.
import { spawnSync } from 'node:child_process'
import { glibcMallocTunables } from '../src/main/core/glibc-malloc.ts'
import { backendV8Flags, backendWorkingDir } from '../src/main/embedded-stack/wasm-tiering.ts'

const missingFlags = backendV8Flags.filter((flag) => !process.execArgv.includes(flag))
const missingTunables = process.platform === 'linux' && process.env.GLIBC_TUNABLES === undefined
const workingDir = backendWorkingDir()
const elsewhere = workingDir !== undefined && process.cwd() !== workingDir

if (missingFlags.length > 0 || missingTunables || elsewhere) {
  const args = [...missingFlags, ...process.execArgv, ...process.argv.slice(1)]
  const env = { ...process.env, GLIBC_TUNABLES: process.env.GLIBC_TUNABLES ?? glibcMallocTunables }
  if (workingDir) process.chdir(workingDir)
  if (process.execve) process.execve(process.execPath, [process.execPath, ...args], env)
  const child = spawnSync(process.execPath, args, { stdio: 'inherit', env })
  process.exit(child.status ?? 1)
}
