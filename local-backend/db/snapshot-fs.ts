import { MemoryFS, PGlite } from '@electric-sql/pglite'
import { readTarball, type TarEntry } from './tarball.ts'

/**
 * An in-memory data directory that starts as a copy of a snapshot tarball.
 * PGlite's `loadDataDir` copies every file twice (untar, then into its memory
 * filesystem) and checks each parent folder per file, a third of a test
 * database's start-up. Here each file's contents is a view into the one buffer
 * read from disk, which the memory filesystem adopts without copying; a buffer
 * therefore backs exactly one database.
 */
export class SnapshotMemoryFS extends MemoryFS {
  readonly #entries: Promise<TarEntry[]>

  /**
   * Takes the tarball as a promise and parses it as soon as it arrives: reading
   * and parsing then overlap with PGlite reading and compiling Postgres, when
   * the main thread mostly waits.
   */
  constructor(tar: Promise<Uint8Array>) {
    super()
    this.#entries = tar.then(dataDirectoryEntries)
    // Handled where it is awaited; until then a failed read must not count as unhandled.
    this.#entries.catch(() => undefined)
  }

  override async initialSyncFs(): Promise<void> {
    await super.initialSyncFs()
    if (!this.pg) throw new Error('SnapshotMemoryFS.initialSyncFs ran before PGlite initialised it')
    const fs = this.pg.Module.FS
    const root = PGlite.paths.PGDATA
    for (const entry of await this.#entries) {
      const path = `${root}/${entry.path}`
      if (entry.directory) fs.mkdirTree(path)
      else fs.writeFile(path, entry.data, { canOwn: true })
    }
  }
}

function dataDirectoryEntries(tar: Uint8Array): TarEntry[] {
  const entries = readTarball(tar)
  // Without PG_VERSION PGlite would quietly run initdb and hand back an empty database.
  if (!entries.some((entry) => !entry.directory && entry.path === 'PG_VERSION')) {
    throw new Error(
      'The snapshot is not a Postgres data directory (no PG_VERSION): delete it and it is rebuilt',
    )
  }
  return entries
}
