/**
 * The embedded host's line to the app, whichever runtime started it: Electron's
 * utilityProcess gives the child `process.parentPort` (structured-clone messages in
 * `event.data`); Node's fork gives `process.send` and a `disconnect` when the app goes.
 */
export interface ParentChannel {
  send(message: unknown): void
  onMessage(listener: (message: unknown) => void): void
  /** The app went away without a word (Node only: a utility process ends with its app). */
  onGone(listener: () => void): void
  /** The last message, then the end: Node exits once it is delivered; Electron's parent ends the process on reading it. */
  sendLast(message: unknown, exitCode: number): void
}

interface ElectronParentPort {
  postMessage(message: unknown): void
  on(event: 'message', listener: (event: { data: unknown }) => void): void
}

export function parentChannel(): ParentChannel {
  const port = (process as { parentPort?: ElectronParentPort }).parentPort
  if (port) {
    return {
      send: (message) => port.postMessage(message),
      onMessage: (listener) => port.on('message', (event) => listener(event.data)),
      onGone: () => {},
      sendLast(message, exitCode) {
        process.exitCode = exitCode
        port.postMessage(message)
      },
    }
  }
  return {
    send: (message) => process.send?.(message),
    onMessage: (listener) => process.on('message', listener),
    onGone: (listener) => process.on('disconnect', listener),
    sendLast(message, exitCode) {
      if (process.send) process.send(message, () => process.exit(exitCode))
      else process.exit(exitCode)
    },
  }
}
