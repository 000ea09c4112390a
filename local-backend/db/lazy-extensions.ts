import { stat } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { gunzip } from 'node:zlib'
import type { Extension, ExtensionSetupResult, postgresMod } from '@electric-sql/pglite'
import { readWholeFile } from './read-whole-file.ts'
import { readTarball, type TarEntry } from './tarball.ts'
import { writeAtomically } from './write-atomically.ts'

type PostgresModule = postgresMod.PostgresMod

/** Parsed bundles, kept for the life of the process: every later instance writes the same bytes. */
const bundles = new Map<string, Promise<TarEntry[]>>()

async function inflate(bundlePath: URL): Promise<Uint8Array> {
  const gzip = Buffer.from((await readWholeFile(bundlePath)).buffer)
  // One output chunk as large as the whole tarball (gzip's trailer says how large): the
  // thread pool then inflates it in one go instead of waiting on the busy main thread
  // between 16 KB chunks.
  return promisify(gunzip)(gzip, { chunkSize: Math.max(gzip.readUInt32LE(gzip.length - 4), 64 * 1024) })
}

/**
 * The bundle's tarball, inflated once and kept in `cacheDir`: inflating
 * pgcrypto's 3 MB (it carries OpenSSL) at every start cost a test database
 * about 45 ms on two cores. The cached copy is named after the bundle's size
 * and modification time, so a PGlite upgrade brings a new one.
 */
async function unpackedBundle(bundlePath: URL, cacheDir: string): Promise<Uint8Array> {
  const { size, mtimeMs } = await stat(bundlePath)
  const name = basename(fileURLToPath(bundlePath), '.tar.gz')
  const cached = join(cacheDir, `extension-${name}-${size}-${Math.trunc(mtimeMs)}.tar`)
  try {
    return await readWholeFile(cached)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
  }
  const tar = await inflate(bundlePath)
  writeAtomically(cached, tar)
  return tar
}

function loadBundle(bundlePath: URL, cacheDir: string): Promise<TarEntry[]> {
  let files = bundles.get(bundlePath.href)
  if (!files) {
    files = unpackedBundle(bundlePath, cacheDir).then((tar) =>
      readTarball(tar).filter((entry) => !entry.directory),
    )
    bundles.set(bundlePath.href, files)
    // A failed read is reported by the instance that awaits it; the next instance tries again.
    files.catch(() => bundles.delete(bundlePath.href))
  }
  return files
}

function writeBundle(module: PostgresModule, files: TarEntry[]): void {
  // mkdirTree throws and catches an error for every folder that exists: once per folder, not per file.
  const folders = new Set<string>()
  for (const file of files) {
    const path = `${module.WASM_PREFIX}/${file.path}`
    const folder = path.slice(0, path.lastIndexOf('/'))
    if (!folders.has(folder)) {
      module.FS.mkdirTree(folder)
      folders.add(folder)
    }
    // Adopted, not copied: Postgres only ever reads its libraries and extension scripts.
    module.FS.writeFile(path, file.data, { canOwn: true })
  }
}

/**
 * The same extension, installed without compiling its WebAssembly at start-up.
 * PGlite's own loader compiles every library in a bundle before Postgres starts
 * (pgcrypto alone carries OpenSSL), although Postgres only needs a library when
 * one of its functions or types is first used. Here the bundle's files are just
 * placed where Postgres looks for them, and its dynamic loader compiles a library
 * on first use. A test database that never calls crypt() never pays for it.
 * The bundle is read (inflated once, then from `cacheDir`) while PGlite
 * compiles Postgres, and written when Postgres is up: nothing loads a library
 * before the first query, as shared_preload_libraries is empty.
 */
export function lazyExtension(extension: Extension, cacheDir: string): Extension {
  return {
    name: extension.name,
    setup: async (pg, emscriptenOpts, clientOnly) => {
      const { bundlePath, ...rest }: ExtensionSetupResult = await extension.setup(
        pg,
        emscriptenOpts,
        clientOnly,
      )
      if (!bundlePath) return rest
      const files = loadBundle(bundlePath, cacheDir)
      return {
        ...rest,
        init: async () => {
          writeBundle(pg.Module, await files)
          await rest.init?.()
        },
      }
    },
  }
}
