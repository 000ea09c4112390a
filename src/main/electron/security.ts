/**
 * The window's security policy, as pure functions the Electron layer applies and the
 * tests check: the Content-Security-Policy, which URLs count as the app itself, and
 * which links may leave for the OS browser.
 */

/** The renderer is served from this privileged scheme, never from file:// (whose origin is every file). */
export const APP_SCHEME = 'app'
export const APP_HOST = 'bundle'
export const APP_ENTRY = `${APP_SCHEME}://${APP_HOST}/index.html`

/** http(s) origins of the configured backend, for connect-src; anything else is dropped. */
export function httpOrigins(urls: readonly (string | null | undefined)[]): string[] {
  const origins = new Set<string>()
  for (const url of urls) {
    if (!url) continue
    try {
      const parsed = new URL(url)
      if (parsed.protocol === 'http:' || parsed.protocol === 'https:') origins.add(parsed.origin)
    } catch {
      // Not a URL: contributes nothing to the policy.
    }
  }
  return [...origins].sort()
}

export function buildCsp(connectOrigins: readonly string[]): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    `connect-src 'self'${connectOrigins.map((origin) => ` ${origin}`).join('')}`,
    "base-uri 'none'",
    "form-action 'none'",
    "object-src 'none'",
    "frame-src 'none'",
    "frame-ancestors 'none'",
  ].join('; ')
}

/** True for the app's own pages: the bundled renderer, or the dev server while developing. */
export function isAppUrl(url: string, devServerUrl: string | null): boolean {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return false
  }
  if (parsed.protocol === `${APP_SCHEME}:` && parsed.host === APP_HOST) return true
  if (devServerUrl) {
    try {
      return parsed.origin === new URL(devServerUrl).origin
    } catch {
      return false
    }
  }
  return false
}

/**
 * Links the agent may open in the OS browser: http(s) only, no credentials in the
 * URL, and never a loopback or local host (which would reach the embedded backend).
 */
export function externalUrl(url: string): string | null {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return null
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return null
  if (parsed.username || parsed.password) return null
  const host = parsed.hostname.toLowerCase()
  if (
    host === 'localhost' ||
    host.endsWith('.localhost') ||
    host === '[::1]' ||
    /^127\./.test(host) ||
    host === '0.0.0.0'
  )
    return null
  return parsed.href
}

/** A renderer file path inside `root`, or null for anything that escapes it. */
export function bundlePath(requestUrl: string, root: string, sep: string): string | null {
  let parsed: URL
  try {
    parsed = new URL(requestUrl)
  } catch {
    return null
  }
  if (parsed.protocol !== `${APP_SCHEME}:` || parsed.host !== APP_HOST) return null
  let relative: string
  try {
    relative = decodeURIComponent(parsed.pathname)
  } catch {
    return null
  }
  if (relative === '/' || relative === '') relative = '/index.html'
  if (relative.includes('\0') || relative.split(/[\\/]/).some((part) => part === '..')) return null
  const base = root.endsWith(sep) ? root : root + sep
  const full =
    base +
    relative
      .replace(/^[\\/]+/, '')
      .split('/')
      .join(sep)
  return full.startsWith(base) ? full : null
}
