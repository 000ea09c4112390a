import {
  sessionReplySchema,
  shellPaths,
  tabSecretStorageKey,
} from '../../../shared/browser-shell-protocol.ts'
import { replySchema } from '../../../shared/contract.ts'

/**
 * This tab's way into the browser shell's socket. A launch link's one-time token is
 * taken out of the address bar (so it is in no history, bookmark or referrer) and
 * exchanged for a tab secret, kept in sessionStorage: only this origin, port included,
 * can read it, and it outlives a reload or a restart of the app. Null when the tab
 * has neither, so the socket is refused and the page says to open the printed link.
 */
export async function obtainTabSecret(
  location: Location,
  history: History,
  storage: Storage,
): Promise<string | null> {
  const token = new URL(location.href).searchParams.get('token')
  if (token === null) return storage.getItem(tabSecretStorageKey)
  history.replaceState(history.state, '', '/')
  try {
    const response = await fetch(shellPaths.session, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token }),
      cache: 'no-store',
    })
    const reply = replySchema.safeParse(await response.json())
    const secret = reply.success && reply.data.ok ? sessionReplySchema.safeParse(reply.data.value) : null
    if (secret?.success) {
      storage.setItem(tabSecretStorageKey, secret.data.secret)
      return secret.data.secret
    }
  } catch {
    // The host is unreachable: the socket's own retries and refusal tell the user.
  }
  // A link already used (a reload of the tab that used it keeps its secret).
  return storage.getItem(tabSecretStorageKey)
}
