import type { ForkOptions, UtilityProcess } from 'electron'
import type { ServiceExit, StartService } from '../platform-interface.ts'

/** Electron's utilityProcess.fork. */
export type ForkUtility = (modulePath: string, args: string[], options: ForkOptions) => UtilityProcess

/**
 * Service processes under Electron: utilityProcess, a Chromium-managed Node child.
 * The binary's RunAsNode fuse is off, so fork() (ELECTRON_RUN_AS_NODE) cannot work;
 * a utility process also ends with the app and needs no such variable. Its exit
 * carries only a code, so a crash reads as signal null.
 */
export function utilityService(fork: ForkUtility): StartService {
  return (modulePath, options) => {
    const child = fork(modulePath, [], {
      env: options.env,
      execArgv: options.execArgv,
      cwd: options.cwd,
      stdio: 'pipe',
      serviceName: options.name,
    })
    let exited = false
    child.once('exit', () => {
      exited = true
    })
    return {
      get pid() {
        return child.pid
      },
      stdout: child.stdout,
      stderr: child.stderr,
      send(message) {
        if (exited) return false
        child.postMessage(message)
        return true
      },
      onMessage(listener) {
        child.on('message', listener)
      },
      onExit(listener) {
        child.once('exit', (code: number) => listener({ code, signal: null } satisfies ServiceExit))
      },
      kill() {
        child.kill()
      },
      hasExited: () => exited,
    }
  }
}
