import { open } from 'node:fs/promises'

/**
 * A file's bytes, read by the thread pool in one request. fs.promises.readFile
 * reads 512 KB at a time and needs the main thread between reads, so while
 * Postgres starts (synchronous WebAssembly on the main thread) a 10 MB read
 * stalls for the whole start. The result owns its ArrayBuffer alone, as
 * tar parsers and WebAssembly.compile like.
 */
export async function readWholeFile(path: string | URL): Promise<Uint8Array> {
  const handle = await open(path, 'r')
  try {
    const { size } = await handle.stat()
    const bytes = new Uint8Array(size)
    let offset = 0
    while (offset < size) {
      const { bytesRead } = await handle.read(bytes, offset, size - offset, offset)
      if (bytesRead === 0) throw new Error(`${String(path)} ended after ${offset} of ${size} bytes`)
      offset += bytesRead
    }
    return bytes
  } finally {
    await handle.close()
  }
}
