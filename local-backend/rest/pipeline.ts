import { protocol, type PGlite } from '@electric-sql/pglite'
import type { DatabaseErrorFields } from './errors.ts'

/**
 * One REST request as one round trip into the embedded Postgres: BEGIN, the
 * caller's role and claims, the statements, all pipelined in the extended
 * protocol with a single Sync, then COMMIT or ROLLBACK. PGlite's query() costs
 * six calls into WASM per statement; this costs two per request, which is most
 * of the per-request overhead of a small read.
 */
export interface Statement {
  sql: string
  /**
   * Parameters as text, typed by the statement: every placeholder carries its cast
   * (`$1::uuid`), which Postgres takes as the parameter's type and reads the value
   * as once, at Bind.
   */
  params: (string | null)[]
}

export type Rows = (string | null)[][]

export type PipelineResult = { ok: true; results: Rows[] } | { ok: false; error: DatabaseErrorFields }

const { serialize } = protocol
/** A Parse type of 0 leaves the parameter's type to the statement (its cast). */
const typedByStatement = 0

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0))
  let offset = 0
  for (const part of parts) {
    out.set(part, offset)
    offset += part.length
  }
  return out
}

/**
 * Named prepared statements per SQL text, as PostgREST prepares its queries: a
 * repeated request skips parsing and planning. Postgres itself replans when the
 * role (and so RLS) or the schema changes. Bounded; the oldest are closed.
 */
const maxPrepared = 256

interface PreparedCache {
  names: Map<string, string>
  /**
   * Bind and Execute messages by statement name and values: BEGIN, COMMIT, a session's
   * role and claims and a polled query repeat the same bytes request after request.
   */
  bound: Map<string, Uint8Array>
  next: number
}

const executeMessage = serialize.execute({})
const maxBound = 512
/** Longer values (a bulk insert's JSON) are rarely repeated and would crowd the cache. */
const maxBoundValueChars = 4096

function boundKey(name: string, values: (string | null)[]): string | undefined {
  let chars = 0
  for (const value of values) chars += value?.length ?? 0
  // JSON keeps null and every string (even "\u0001" or "null") apart, so no two binds share a key.
  return chars > maxBoundValueChars ? undefined : JSON.stringify([name, values])
}

const caches = new WeakMap<PGlite, PreparedCache>()

function cacheOf(db: PGlite): PreparedCache {
  let cache = caches.get(db)
  if (!cache) {
    cache = { names: new Map(), bound: new Map(), next: 0 }
    caches.set(db, cache)
  }
  return cache
}

interface Encoded {
  messages: Uint8Array[]
  /** Statements parsed by this pipeline, to forget if it fails before reaching them. */
  fresh: string[]
  /** Statements evicted from the cache, closed after this pipeline. */
  evicted: string[]
}

function encode(cache: PreparedCache, statements: Statement[]): Encoded {
  const encoded: Encoded = { messages: [], fresh: [], evicted: [] }
  for (const statement of statements) {
    let name = cache.names.get(statement.sql)
    if (name === undefined) {
      name = `rest_${cache.next++}`
      encoded.messages.push(
        serialize.parse({ name, text: statement.sql, types: statement.params.map(() => typedByStatement) }),
      )
      cache.names.set(statement.sql, name)
      encoded.fresh.push(statement.sql)
      if (cache.names.size > maxPrepared) {
        const [oldestSql, oldestName] = cache.names.entries().next().value!
        cache.names.delete(oldestSql)
        encoded.evicted.push(oldestName)
      }
    } else {
      // Re-inserting keeps the map in least-recently-used order.
      cache.names.delete(statement.sql)
      cache.names.set(statement.sql, name)
    }
    const key = boundKey(name, statement.params)
    let bound = key === undefined ? undefined : cache.bound.get(key)
    if (bound === undefined) {
      bound = concat([serialize.bind({ statement: name, values: statement.params }), executeMessage])
      if (key !== undefined) {
        if (cache.bound.size >= maxBound) cache.bound.delete(cache.bound.keys().next().value!)
        cache.bound.set(key, bound)
      }
    }
    encoded.messages.push(bound)
  }
  return encoded
}

interface Message {
  name: string
  fields?: (string | null)[]
  code?: string
  message?: string
  detail?: string
  hint?: string
}

/** An ErrorResponse's fields; one that lacks them still reads as an internal error (XX000). */
function databaseError(message: Message): DatabaseErrorFields {
  return {
    code: message.code ?? 'XX000',
    message: message.message ?? 'database error',
    detail: message.detail,
    hint: message.hint,
  }
}

/**
 * Runs `setup` then `statements` in one transaction. `decide`, when given, sees
 * every statement's rows and says whether to commit (a second call); without it
 * the COMMIT travels in the same pipeline. Any database error rolls back.
 */
export async function runPipelined(
  db: PGlite,
  setup: Statement,
  statements: Statement[],
  decide?: (results: Rows[]) => boolean,
): Promise<PipelineResult> {
  const all = [{ sql: 'begin', params: [] }, setup, ...statements]
  if (!decide) all.push({ sql: 'commit', params: [] })
  const cache = cacheOf(db)
  return db.runExclusive(async () => {
    const encoded = encode(cache, all)
    // The stream variant, as PGlite's own query() uses: execProtocol also copies every byte
    // of the answer into a buffer it grows as the bytes come, which nothing here reads. For
    // a first sync's page of 1,000 contacts that copy was a fifth of the request's time.
    const messages = (await db.execProtocolStream(concat([...encoded.messages, serialize.sync()]), {
      throwOnError: false,
    })) as Message[]
    const results: Rows[] = []
    let current: Rows = []
    let failure: DatabaseErrorFields | undefined
    for (const message of messages) {
      if (message.name === 'dataRow') current.push(message.fields ?? [])
      else if (message.name === 'commandComplete') {
        results.push(current)
        current = []
      } else if (message.name === 'error') failure ??= databaseError(message)
    }
    // The first two results are BEGIN and the setup statement.
    const own = results.slice(2, 2 + statements.length)
    const complete = failure === undefined && own.length === statements.length
    const commit = complete && (decide ? decide(own) : true)
    // After an error the server skipped the rest, including Parses: forget (and close, in
    // case they did get prepared) this pipeline's new statements so the next use re-parses.
    const closing = [...encoded.evicted]
    if (failure) {
      for (const sql of encoded.fresh) {
        const name = cache.names.get(sql)
        cache.names.delete(sql)
        if (name !== undefined) closing.push(name)
      }
    }
    const finish: Uint8Array[] = []
    if (decide || !complete) finish.push(serialize.query(commit ? 'commit' : 'rollback'))
    if (closing.length)
      finish.push(...closing.map((name) => serialize.close({ type: 'S', name })), serialize.sync())
    if (finish.length) await db.execProtocolStream(concat(finish), { throwOnError: false })
    return failure ? { ok: false, error: failure } : { ok: true, results: own }
  })
}
