import { fork } from 'node:child_process'
import type { ServiceExit, StartService } from '../platform-interface.ts'

/**
 * Service processes on plain Node (the browser shell, tests): child_process.fork,
 * JSON over Node IPC. Electron uses utilityProcess instead (electron/utility-service.ts),
 * since its binary is built unable to run as Node.
 */
export const forkService: StartService = (modulePath, options) => {
  const child = fork(modulePath, [], {
    env: options.env,
    execArgv: options.execArgv,
    cwd: options.cwd,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    serialization: 'json',
  })
  // A message sent as the child dies fails with EPIPE; its exit is what the owner hears.
  child.on('error', () => {})
  return {
    get pid() {
      return child.pid
    },
    stdout: child.stdout,
    stderr: child.stderr,
    send(message) {
      if (!child.connected) return false
      child.send(message as object)
      return true
    },
    onMessage(listener) {
      child.on('message', listener)
    },
    onExit(listener) {
      child.once('exit', (code, signal) => listener({ code, signal } satisfies ServiceExit))
    },
    kill() {
      child.kill('SIGKILL')
    },
    hasExited: () => child.exitCode !== null || child.signalCode !== null,
  }
}
