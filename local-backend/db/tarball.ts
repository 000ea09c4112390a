import { parseTar } from 'nanotar'

export interface TarEntry {
  /** Relative, without leading or trailing slashes. */
  path: string
  directory: boolean
  /** A view into the tarball's bytes, not a copy. */
  data: Uint8Array
}

/** The files and folders of an uncompressed tarball (snapshots, extension bundles); other entry types are left out. */
export function readTarball(bytes: Uint8Array): TarEntry[] {
  // nanotar reads offsets from the start of the ArrayBuffer, so it must hold the tarball alone.
  const own =
    bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : Uint8Array.from(bytes)
  return parseTar(own).flatMap((entry) =>
    entry.type === 'file' || entry.type === 'directory'
      ? [
          {
            path: entry.name.replace(/^\/+|\/+$/g, ''),
            directory: entry.type === 'directory',
            data: entry.data ?? new Uint8Array(0),
          },
        ]
      : [],
  )
}
