import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, openAsBlob, readdirSync, readFileSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { PGlite, type Extensions } from '@electric-sql/pglite'
import { vector } from '@electric-sql/pglite/vector'
import { uuid_ossp } from '@electric-sql/pglite/contrib/uuid_ossp'
import { pgcrypto } from '@electric-sql/pglite/contrib/pgcrypto'
import { arrayTypesSchema, createWithArrayTypes, readArrayTypes, type ArrayTypes } from './array-types.ts'
import { lazyExtension } from './lazy-extensions.ts'
import { platformSql } from './platform-sql.ts'
import { rememberFileSizes } from './file-sizes.ts'
import { readWholeFile } from './read-whole-file.ts'
import { SnapshotMemoryFS } from './snapshot-fs.ts'
import { writeAtomically } from './write-atomically.ts'

/** Where the Supabase project (migrations, seed) lives, relative to this file in the repository. */
export const defaultSupabaseDir = resolve(import.meta.dirname, '../../supabase')

export interface DatabaseOptions {
  /** Persistent data directory; omitted means in-memory (tests). */
  dataDir?: string
  /** Load supabase/seed.sql when the database is created. */
  seed?: boolean
  /** The folder holding migrations/ and seed.sql. */
  supabaseDir?: string
  /** Where initialized snapshots are cached between runs. */
  snapshotDir?: string
}

export interface Migration {
  version: string
  name: string
  sql: string
}

export function readMigrations(supabaseDir = defaultSupabaseDir): Migration[] {
  const dir = join(supabaseDir, 'migrations')
  // A bundle run away from the repository lands here first: say what to pass.
  if (!existsSync(dir))
    throw new Error(
      `No Supabase migrations folder at ${dir}: pass supabaseDir (EMBEDDED_SUPABASE_DIR for the embedded stack)`,
    )
  return readdirSync(dir)
    .filter((file) => file.endsWith('.sql'))
    .sort()
    .map((file) => {
      const match = /^(\d+)_(.+)\.sql$/.exec(file)
      if (!match) throw new Error(`Migration file ${file} is not named <version>_<name>.sql`)
      return { version: match[1]!, name: match[2]!, sql: readFileSync(join(dir, file), 'utf8') }
    })
}

/** The extensions the migrations create, their bundles unpacked into `cacheDir` (see lazy-extensions.ts). */
function extensionsCachedIn(cacheDir: string) {
  return {
    vector: lazyExtension(vector, cacheDir),
    uuid_ossp: lazyExtension(uuid_ossp, cacheDir),
    pgcrypto: lazyExtension(pgcrypto, cacheDir),
  }
}

/**
 * Start-up cost is dominated by copying the data directory into memory and by
 * Postgres zeroing its shared memory, so the snapshot is made small and cheap to
 * start: a 1 MB WAL segment instead of 16 MB (initdb time only), with only the
 * segments the last checkpoint keeps (min/max_wal_size while it is built, 2 MB
 * instead of 5), catalogs compacted by VACUUM FULL, 16 MB of shared buffers
 * instead of 128 MB (an inbox fits easily; the data lives in memory or on the
 * local disk anyway), room for 10 connections instead of 100 (PGlite has one),
 * shared memory sized exactly instead of rounded up to whole 2 MB huge pages
 * (PGlite's shared memory is ordinary WebAssembly memory), no template databases (half the remaining bytes; nothing here ever runs
 * CREATE DATABASE), and no gzip. Part of the snapshot's cache key, so changing
 * them rebuilds it.
 */
const snapshotTuning = {
  initDbStartParams: ['--wal-segsize=1'],
  buildStartParams: ['-c', 'min_wal_size=2MB', '-c', 'max_wal_size=2MB'],
  settings: { shared_buffers: '16MB', max_connections: '10', huge_pages: 'off' },
  dropTemplateDatabases: ['template0', 'template1'],
  // The migrations' DDL leaves dead catalog rows behind: compacted, the snapshot is a fifth
  // smaller. The checkpoint then recycles the WAL segments min_wal_size no longer asks for.
  finishWith: ['vacuum full', 'checkpoint'],
}

/**
 * A test database holds a seed and a few thousand rows, all of it in memory
 * already, so 2 MB of shared buffers is plenty. Postgres zeroes its whole
 * shared memory at every start, and first touches of memory are what a start
 * spends most on (4 ms per MB on the 2-core CI VM): with the exact sizing
 * above, 8 MB became 4.8 MB.
 */
const inMemoryStartParams = [...PGlite.defaultStartParams, '-c', 'shared_buffers=2MB']

/** Applies the migrations the database has not seen yet, each in its own transaction, recording them as the Supabase CLI does. */
export async function applyPendingMigrations(db: PGlite, migrations: Migration[]): Promise<string[]> {
  const applied = new Set(
    (
      await db.query<{ version: string }>('select version from supabase_migrations.schema_migrations')
    ).rows.map((row) => row.version),
  )
  const newlyApplied: string[] = []
  for (const migration of migrations) {
    if (applied.has(migration.version)) continue
    await db.transaction(async (tx) => {
      await tx.exec(migration.sql)
      await tx.query(
        'insert into supabase_migrations.schema_migrations (version, name, statements) values ($1, $2, $3)',
        [migration.version, migration.name, [migration.sql]],
      )
    })
    newlyApplied.push(migration.version)
  }
  return newlyApplied
}

async function initialize(db: PGlite, migrations: Migration[], seedSql: string | undefined): Promise<void> {
  await db.exec(platformSql)
  await applyPendingMigrations(db, migrations)
  if (seedSql) await db.exec(seedSql)
}

/** Bumped when what a snapshot is made of changes, so older cached snapshots are rebuilt. */
const snapshotFormat = 'tarball + array types'

/**
 * The seed dates the demo inbox relative to when it ran, so a seeded snapshot ages with
 * its file: past this age it is seeded again, and a new demo database always looks recent.
 */
export const seededSnapshotMaxAgeMs = 30 * 60_000

function usableSnapshot(tarball: string, arrayTypesFile: string, seeded: boolean): boolean {
  // The types file is written first, so a tarball without one was left half-made: build again.
  if (!existsSync(tarball) || !existsSync(arrayTypesFile)) return false
  return !seeded || Date.now() - statSync(tarball).mtimeMs < seededSnapshotMaxAgeMs
}

interface Snapshot {
  tarball: string
  /** The snapshot's array types, read once when it was built (see array-types.ts). */
  arrayTypes: ArrayTypes
}

/**
 * A snapshot of a freshly initialized database (platform objects, every migration,
 * optionally the seed), keyed by the SQL that produced it, so only the first start
 * after a schema change (or, seeded, once it is stale) pays for initdb and the migrations.
 */
async function initializedSnapshot(
  options: Required<Pick<DatabaseOptions, 'snapshotDir'>> & {
    migrations: Migration[]
    seedSql: string | undefined
    extensions: Extensions
  },
): Promise<Snapshot> {
  const hash = createHash('sha256')
  hash.update(snapshotFormat)
  hash.update(platformSql)
  for (const migration of options.migrations) hash.update(migration.version).update(migration.sql)
  if (options.seedSql) hash.update(options.seedSql)
  hash.update(JSON.stringify(snapshotTuning))
  const name = `pglite-${hash.digest('hex').slice(0, 16)}`
  const tarball = join(options.snapshotDir, `${name}.tar`)
  const arrayTypesFile = join(options.snapshotDir, `${name}.array-types.json`)
  if (usableSnapshot(tarball, arrayTypesFile, options.seedSql !== undefined)) {
    return { tarball, arrayTypes: arrayTypesSchema.parse(JSON.parse(readFileSync(arrayTypesFile, 'utf8'))) }
  }

  const db = await PGlite.create({
    extensions: options.extensions,
    initDbStartParams: snapshotTuning.initDbStartParams,
    startParams: [...PGlite.defaultStartParams, ...snapshotTuning.buildStartParams],
  })
  try {
    await initialize(db, options.migrations, options.seedSql)
    // ALTER SYSTEM writes postgresql.auto.conf, so the settings travel with the snapshot.
    for (const [name, value] of Object.entries(snapshotTuning.settings)) {
      await db.query(`alter system set ${name} = '${value}'`)
    }
    for (const template of snapshotTuning.dropTemplateDatabases) {
      await db.query('update pg_database set datistemplate = false where datname = $1', [template])
      await db.query(`drop database ${template}`)
    }
    for (const statement of snapshotTuning.finishWith) await db.exec(statement)
    const arrayTypes = await readArrayTypes(db)
    const dump = await db.dumpDataDir('none')
    writeAtomically(arrayTypesFile, JSON.stringify(arrayTypes))
    writeAtomically(tarball, Buffer.from(await dump.arrayBuffer()))
    return { tarball, arrayTypes }
  } finally {
    await db.close()
  }
}

/**
 * Opens the embedded Postgres. A new database (in memory, or an empty data
 * directory) starts from the initialized snapshot; an existing data directory is
 * opened as it is and only the migrations it has not seen are applied, so a newer
 * app version migrates the agent's data instead of wiping it.
 */
export async function openDatabase(options: DatabaseOptions = {}): Promise<PGlite> {
  const supabaseDir = options.supabaseDir ?? defaultSupabaseDir
  const snapshotDir =
    options.snapshotDir ?? resolve(import.meta.dirname, '../../node_modules/.cache/local-backend')
  const migrations = readMigrations(supabaseDir)
  const seedFile = join(supabaseDir, 'seed.sql')
  const seedSql = options.seed && existsSync(seedFile) ? readFileSync(seedFile, 'utf8') : undefined
  const extensions = extensionsCachedIn(snapshotDir)

  const existing = options.dataDir !== undefined && existsSync(join(options.dataDir, 'PG_VERSION'))
  if (existing) {
    const db = await PGlite.create({ dataDir: options.dataDir, extensions })
    rememberFileSizes(db)
    await applyPendingMigrations(db, migrations)
    return db
  }
  const snapshot = await initializedSnapshot({ snapshotDir, migrations, seedSql, extensions })
  if (options.dataDir === undefined) {
    const fs = new SnapshotMemoryFS(readWholeFile(snapshot.tarball))
    return createWithArrayTypes({ fs, extensions, startParams: inMemoryStartParams }, snapshot.arrayTypes)
  }
  mkdirSync(options.dataDir, { recursive: true })
  // A file-backed Blob: PGlite reads it once, with no extra copy in between.
  const db = await createWithArrayTypes(
    { dataDir: options.dataDir, loadDataDir: await openAsBlob(snapshot.tarball), extensions },
    snapshot.arrayTypes,
  )
  rememberFileSizes(db)
  return db
}
