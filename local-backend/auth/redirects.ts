import type { AuthConfig } from './config.ts'

/** A `*` in an allow-list entry matches within a path segment or host label, `**` across them. */
function globToRegExp(glob: string): RegExp {
  const pattern = glob
    .split('**')
    .map((part) =>
      part
        .split('*')
        .map((literal) => literal.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('[^/.]*'),
    )
    .join('.*')
  return new RegExp(`^${pattern}$`)
}

/**
 * GoTrue's isRedirectURLValid (helpers.go): a redirect is honoured when it is on the
 * site URL's host or matches additional_redirect_urls; anything else falls back to
 * site_url, so an email link cannot send a token to someone else's site.
 */
export function redirectTarget(config: AuthConfig, requested: string | undefined): string {
  if (!requested) return config.siteUrl
  let url: URL
  try {
    url = new URL(requested)
  } catch {
    return config.siteUrl
  }
  if (url.hostname === new URL(config.siteUrl).hostname) return requested
  return config.redirectUrls.some((allowed) => globToRegExp(allowed).test(requested))
    ? requested
    : config.siteUrl
}
