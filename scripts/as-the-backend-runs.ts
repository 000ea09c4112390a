// Imported first by bench/run.ts and by scripts/stack.ts, which host the embedded
// backend in their own process, so that process runs as the app runs the backend's
// child: with its V8 flags and working directory (where V8 finds the list of Postgres
// functions to optimize, src/main/embedded-stack/wasm-tiering.ts) and glibc's
// allocator settings, all read only at a process's start. Measured otherwise a bench
// reports a backend the app never runs: with V8's own choice of functions the process
// peaked at 730 MB, with baseline code alone the inbox SQL answered two thirds as fast.
// On Linux the process starts itself again in place (same process id and arguments);
// elsewhere it runs a child and exits with it. The benches name every file by its
// absolute path; a path a person typed is resolved against the folder it was typed in
// (fromLaunchDir).
import { spawnSync } from 'node:child_process'
import { resolve } from 'node:path'
import { glibcMallocTunables } from '../src/main/core/glibc-malloc.ts'
import { backendV8Flags, backendWorkingDir } from '../src/main/embedded-stack/wasm-tiering.ts'

const launchDirVariable = 'BACKEND_LAUNCH_DIR'

/** The folder the command was started in, before the restart moved into the profile's. */
function launchDir(): string {
  return process.env[launchDirVariable] ?? process.cwd()
}

/** A path given on the command line, as the person who typed it meant it. */
export const fromLaunchDir = (path: string) => resolve(launchDir(), path)

const missingFlags = backendV8Flags.filter((flag) => !process.execArgv.includes(flag))
const missingTunables = process.platform === 'linux' && process.env.GLIBC_TUNABLES === undefined
const workingDir = backendWorkingDir()
const elsewhere = workingDir !== undefined && process.cwd() !== workingDir

if (missingFlags.length > 0 || missingTunables || elsewhere) {
  const args = [...missingFlags, ...process.execArgv, ...process.argv.slice(1)]
  const env = {
    ...process.env,
    GLIBC_TUNABLES: process.env.GLIBC_TUNABLES ?? glibcMallocTunables,
    [launchDirVariable]: launchDir(),
  }
  if (workingDir) process.chdir(workingDir)
  if (process.execve) process.execve(process.execPath, [process.execPath, ...args], env)
  const child = spawnSync(process.execPath, args, { stdio: 'inherit', env })
  process.exit(child.status ?? 1)
}
