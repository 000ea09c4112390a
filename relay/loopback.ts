import { BlockList, isIP } from 'node:net'

/**
 * Who is at the other end of the connection, as the kernel says: the Node adapter
 * hands the request's socket in `env`, Deno.serve its ServeHandlerInfo. A Host or
 * X-Forwarded-For header is only the caller's say-so, and any caller can write
 * "127.0.0.1" or "localhost" there.
 */
export function socketAddress(env: unknown): string | undefined {
  const bindings = env as
    { incoming?: { socket?: { remoteAddress?: string } }; remoteAddr?: { hostname?: string } } | undefined
  return bindings?.incoming?.socket?.remoteAddress ?? bindings?.remoteAddr?.hostname
}

const loopback = new BlockList()
loopback.addSubnet('127.0.0.0', 8, 'ipv4')
loopback.addAddress('::1', 'ipv6')

/** 127.0.0.0/8 and ::1, also as IPv4-mapped IPv6 (::ffff:127.0.0.1); nothing that is not an IP address. */
export function isLoopbackAddress(address: string | undefined): boolean {
  const family = address === undefined ? 0 : isIP(address)
  if (family === 0) return false
  return loopback.check(address!, family === 4 ? 'ipv4' : 'ipv6')
}
