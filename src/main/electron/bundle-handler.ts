import { readFile } from 'node:fs/promises'
import { extname, sep } from 'node:path'
import { bundlePath } from './security.ts'

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
}

/**
 * Serves the built renderer on app://bundle/ with the CSP as a header (a file:// page
 * gets no headers, and its origin would be the whole disk). Paths that leave the
 * bundle folder are 404, as is every other host.
 */
export function createBundleHandler(
  rendererDir: string,
  csp: () => string,
): (request: Request) => Promise<Response> {
  return async (request) => {
    const path = request.method === 'GET' ? bundlePath(request.url, rendererDir, sep) : null
    if (!path) return new Response('Not found', { status: 404 })
    try {
      const body = await readFile(path)
      return new Response(body, {
        status: 200,
        headers: {
          'Content-Type': contentTypes[extname(path).toLowerCase()] ?? 'application/octet-stream',
          'Content-Security-Policy': csp(),
          'X-Content-Type-Options': 'nosniff',
          'Cross-Origin-Opener-Policy': 'same-origin',
        },
      })
    } catch {
      return new Response('Not found', { status: 404 })
    }
  }
}
