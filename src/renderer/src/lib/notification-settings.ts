/** Desktops whose notification settings live in different places. */
export type Desktop = 'windows' | 'macos' | 'linux'

/** The desktop the page runs on, as its browser reports itself. */
export function desktopOf(userAgent: string): Desktop {
  if (/Windows/.test(userAgent)) return 'windows'
  if (/Macintosh|Mac OS X/.test(userAgent)) return 'macos'
  return 'linux'
}

const systemSettings: Record<Desktop, string> = {
  windows: 'Settings › System › Notifications in Windows',
  macos: 'System Settings › Notifications on your Mac',
  linux: 'your desktop’s notification settings (in GNOME: Settings › Notifications)',
}

/**
 * What to do once notifications were blocked: the page cannot ask again, so the
 * agent allows them in the browser's site settings, and in the place the desktop
 * keeps its own switch for that browser.
 */
export function blockedNotificationsHelp(desktop: Desktop): string {
  return `Notifications are blocked for this page. Allow them in your browser’s site settings (the icon at the left of the address bar), and check that ${systemSettings[desktop]} lets your browser show them.`
}
