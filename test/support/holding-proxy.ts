import { connect, createServer, type AddressInfo, type Socket } from 'node:net'

/**
 * A TCP proxy on 127.0.0.1 in front of an HTTP/1.1 server that, while closed, holds
 * back the requests whose request line matches: the connection carrying one pauses
 * until `open()`, so a test can stop a client at a chosen request and look at what it
 * shows meanwhile. Everything else (other requests, WebSocket upgrades) passes.
 */
export interface HoldingProxy {
  url: string
  /** Resolves once a matching request is being held. */
  held(): Promise<void>
  /** Lets every held request through, and every later one. */
  open(): void
  stop(): Promise<void>
}

export async function startHoldingProxy(options: {
  target: { host: string; port: number }
  hold: RegExp
}): Promise<HoldingProxy> {
  const sockets = new Set<Socket>()
  let closed = true
  let parked: (() => void)[] = []
  let onHeld: (() => void) | null = null
  const firstHeld = new Promise<void>((resolve) => (onHeld = resolve))

  const server = createServer((client) => {
    const upstream = connect(options.target)
    for (const end of [client, upstream]) {
      sockets.add(end)
      end.on('close', () => sockets.delete(end))
      // One side ending ends the other, as a direct connection would.
      end.on('error', () => client.destroy())
      end.on('close', () => (end === client ? upstream : client).destroy())
    }
    client.on('data', (chunk: Buffer) => {
      const requestLine = chunk.subarray(0, chunk.indexOf('\r\n')).toString('latin1')
      if (closed && options.hold.test(requestLine)) {
        client.pause()
        parked.push(() => {
          upstream.write(chunk)
          client.resume()
        })
        onHeld?.()
        return
      }
      upstream.write(chunk)
    })
    upstream.on('data', (chunk: Buffer) => client.write(chunk))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    held: () => firstHeld,
    open() {
      closed = false
      const release = parked
      parked = []
      for (const pass of release) pass()
    },
    async stop() {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
