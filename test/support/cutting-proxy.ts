import { connect, createServer, type Socket } from 'node:net'
import type { AddressInfo } from 'node:net'

/**
 * A TCP proxy on 127.0.0.1 in front of an HTTP/1.1 server that drops connections in
 * the middle of exchanges, as a flaky network does. Requests and responses are
 * recognised by their first bytes, so keep-alive connections are cut per exchange.
 */
export interface CuttingProxy {
  url: string
  counts: {
    requests: number
    /** Requests the server got only the first half of before the connection dropped. */
    requestsCut: number
    /** Requests the server answered whose answer the connection dropped. */
    answersCut: number
  }
  stop(): Promise<void>
}

export async function startCuttingProxy(options: {
  target: { host: string; port: number }
  /** Every this many requests, the request is cut halfway. */
  cutRequestEvery: number
  /** Every this many answers (of requests not cut), the answer is dropped. */
  cutAnswerEvery: number
}): Promise<CuttingProxy> {
  const counts = { requests: 0, requestsCut: 0, answersCut: 0 }
  let answers = 0
  const sockets = new Set<Socket>()
  const cut = (...ends: Socket[]) => ends.forEach((end) => end.destroy())

  const server = createServer((client) => {
    const upstream = connect(options.target)
    for (const end of [client, upstream]) {
      sockets.add(end)
      end.on('close', () => sockets.delete(end))
      // A cut or a reset on one side ends the other; the error itself is the point of the test.
      end.on('error', () => cut(client, upstream))
      end.on('close', () => cut(client, upstream))
    }
    client.on('data', (chunk: Buffer) => {
      if (
        chunk
          .subarray(0, 16)
          .toString('latin1')
          .match(/^[A-Z]+ \//)
      ) {
        counts.requests += 1
        if (counts.requests % options.cutRequestEvery === 0) {
          counts.requestsCut += 1
          upstream.write(chunk.subarray(0, Math.floor(chunk.length / 2)), () => cut(client, upstream))
          return
        }
      }
      upstream.write(chunk)
    })
    upstream.on('data', (chunk: Buffer) => {
      if (chunk.subarray(0, 5).toString('latin1') === 'HTTP/') {
        answers += 1
        if (answers % options.cutAnswerEvery === 0) {
          counts.answersCut += 1
          cut(client, upstream)
          return
        }
      }
      client.write(chunk)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    counts,
    async stop() {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
