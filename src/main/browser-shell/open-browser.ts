import { spawn } from 'node:child_process'
import { win32 } from 'node:path'
import { err, ok, type Result } from '../../shared/errors.ts'

export interface OpenCommand {
  command: string
  args: string[]
}

/**
 * Characters a serialized http(s) URL may keep (RFC 3986's unreserved, reserved and
 * %). The URL parser percent-encodes quotes, spaces and controls; `^`, `|`, `` ` ``,
 * `{}` and `\` survive it, so they are refused: no opener should see them.
 */
const urlCharacters = /^[A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=%]+$/

/** The URL as it may be handed to an opener: http(s) only, serialized, and plain characters only. */
export function openableUrl(url: string): Result<string> {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return err('invalid_input', 'Only a full http or https link can be opened.')
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    return err('invalid_input', `A ${parsed.protocol} link is not opened; only http and https links are.`)
  if (!urlCharacters.test(parsed.href))
    return err('invalid_input', 'This link has characters a browser link never needs; it is not opened.')
  return ok(parsed.href)
}

/**
 * The opener for this OS, as a program and its argument list: no shell ever reads the
 * URL. On Windows that is url.dll's FileProtocolHandler through rundll32 (from the
 * system folder, not PATH), which hands the URL to the default browser; `cmd /c start`
 * would parse `&`, `^` and `"` as commands.
 */
export function openCommand(
  url: string,
  platform: NodeJS.Platform,
  env: NodeJS.ProcessEnv,
): Result<OpenCommand> {
  const openable = openableUrl(url)
  if (!openable.ok) return openable
  const href = openable.value
  if (platform === 'darwin') return ok({ command: 'open', args: [href] })
  if (platform === 'win32') {
    const system = win32.join(env.SystemRoot ?? 'C:\\Windows', 'System32', 'rundll32.exe')
    return ok({ command: system, args: ['url.dll,FileProtocolHandler', href] })
  }
  return ok({ command: 'xdg-open', args: [href] })
}

/**
 * Opens an http(s) URL in the system browser when there is one to open. Never throws:
 * a machine without a display or an opener just keeps the printed URL.
 */
export function openInSystemBrowser(url: string): boolean {
  const hasDisplay =
    process.platform !== 'linux' || Boolean(process.env.DISPLAY || process.env.WAYLAND_DISPLAY)
  if (!hasDisplay) return false
  const opener = openCommand(url, process.platform, process.env)
  if (!opener.ok) return false
  try {
    const child = spawn(opener.value.command, opener.value.args, {
      stdio: 'ignore',
      detached: true,
      shell: false,
    })
    child.on('error', () => {})
    child.unref()
    return true
  } catch {
    return false
  }
}
