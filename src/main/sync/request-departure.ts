import { subscribe, unsubscribe } from 'node:diagnostics_channel'

/**
 * Node's fetch (undici) announces on this public channel each request whose headers it
 * has written to a socket: the moment the server can start on it.
 */
const headersSent = 'undici:client:sendHeaders'

/**
 * Starts a request and says when it has left this process. supabase-js sends a request
 * only after awaiting the session's token, and undici writes it on a later turn of the
 * event loop, so work that blocks the loop right after `start()` would hold the request
 * back: a caller that means to overlap with the server awaits `left` first. `left` also
 * resolves when the answer settles, so a fetch that announces nothing (another
 * implementation, a refused connection) never leaves it waiting.
 */
export function sendAhead<T>(
  pathPrefix: string,
  start: () => Promise<T>,
): { answer: Promise<T>; left: Promise<void> } {
  let leave!: () => void
  const left = new Promise<void>((resolve) => (leave = resolve))
  const onSent = (message: unknown) => {
    const path = (message as { request?: { path?: unknown } }).request?.path
    if (typeof path === 'string' && path.startsWith(pathPrefix)) done()
  }
  const done = () => {
    unsubscribe(headersSent, onSent)
    leave()
  }
  subscribe(headersSent, onSent)
  let answer: Promise<T>
  try {
    answer = start()
  } catch (error) {
    done()
    throw error
  }
  answer.then(done, done)
  return { answer, left }
}
