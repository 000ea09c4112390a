import { describe, expect, it } from 'vitest'
import { openCommand, openableUrl } from './open-browser.ts'

const windows = { SystemRoot: 'C:\\Windows' }

describe('opening a link in the system browser', () => {
  it('hands Windows the URL as one argument of rundll32 from the system folder, never to cmd', () => {
    expect(openCommand('http://127.0.0.1:5180/?token=abc_-9', 'win32', windows)).toEqual({
      ok: true,
      value: {
        command: 'C:\\Windows\\System32\\rundll32.exe',
        args: ['url.dll,FileProtocolHandler', 'http://127.0.0.1:5180/?token=abc_-9'],
      },
    })
    expect(openCommand('https://example.com/a', 'darwin', {})).toEqual({
      ok: true,
      value: { command: 'open', args: ['https://example.com/a'] },
    })
    expect(openCommand('https://example.com/a', 'linux', {})).toEqual({
      ok: true,
      value: { command: 'xdg-open', args: ['https://example.com/a'] },
    })
  })

  it.each([
    // `&` is plain data in one argv entry: no shell splits it into a second command.
    ['http://x/&calc', 'http://x/&calc'],
    ['http://x/?a=1&b=2', 'http://x/?a=1&b=2'],
    // Quotes and spaces are percent-encoded by the parser, so they cannot end the argument.
    ['http://x/"&calc.exe', 'http://x/%22&calc.exe'],
    ['http://x/a b', 'http://x/a%20b'],
  ])('%s is opened as %s, one argument', (url, href) => {
    const opener = openCommand(url, 'win32', windows)
    expect(opener.ok && opener.value.args).toEqual(['url.dll,FileProtocolHandler', href])
  })

  it.each(['http://x/^&calc', 'http://x/`calc`', 'http://x/"&calc', 'http://x/%22&calc'])(
    '%s reaches the opener percent-encoded or not at all',
    (url) => {
      // Node versions differ on whether the parser encodes `^` in a path; either way no raw one passes.
      const opener = openCommand(url, 'win32', windows)
      if (!opener.ok) return expect(opener.error.kind).toBe('invalid_input')
      expect(opener.value.args).toHaveLength(2)
      expect(opener.value.args[1]).toMatch(/^http:\/\/x\/[A-Za-z0-9%&]+$/)
    },
  )

  it.each([
    ['http://x/?q=^&calc', 'characters a browser link never needs'],
    ['http://x/|calc', 'characters a browser link never needs'],
    ['http://x/?q={a}\\', 'characters a browser link never needs'],
    ['file:///C:/Windows/System32/calc.exe', 'A file: link is not opened'],
    ['javascript:alert(1)', 'A javascript: link is not opened'],
    ['ms-settings:privacy', 'A ms-settings: link is not opened'],
    ['calc.exe', 'Only a full http or https link'],
    ['"http://x/" & calc', 'Only a full http or https link'],
  ])('%s is refused', (url, message) => {
    for (const platform of ['win32', 'darwin', 'linux'] as const) {
      expect(openCommand(url, platform, windows)).toEqual({
        ok: false,
        error: { kind: 'invalid_input', message: expect.stringContaining(message) },
      })
    }
    expect(openableUrl(url).ok).toBe(false)
  })
})
