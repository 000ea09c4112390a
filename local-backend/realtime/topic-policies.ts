import { randomUUID } from 'node:crypto'
import type { PGlite, Transaction } from '@electric-sql/pglite'
import type { Claims } from './jwt.ts'

/** The channel features RLS on realtime.messages decides, one row per feature in a check. */
export type TopicExtension = 'broadcast' | 'presence'

/** What a caller may do on one private topic; undefined until checked, as hosted checks lazily. */
export interface TopicPolicies {
  broadcast: { read?: boolean; write?: boolean }
  presence: { read?: boolean; write?: boolean }
}

export const uncheckedPolicies = (): TopicPolicies => ({ broadcast: {}, presence: {} })

/** A policy that failed to run (a bad cast in its SQL, say), as hosted Realtime reports it. */
export class RlsPolicyError extends Error {
  readonly kind = 'rls_policy_error'
}

/**
 * The caller's session inside a check, as hosted Realtime sets it: the role, the
 * topic for realtime.topic(), and the claims for auth.uid()/auth.jwt().
 */
async function actAs(tx: Transaction, topic: string, claims: Claims): Promise<void> {
  await tx.query(
    `select set_config('role', $1, true), set_config('realtime.topic', $2, true),
            set_config('request.jwt.claims', $3, true), set_config('request.jwt.claim.sub', $4, true),
            set_config('request.jwt.claim.role', $1, true), set_config('request.headers', '{}', true)`,
    [claims.role, topic, JSON.stringify(claims), typeof claims.sub === 'string' ? claims.sub : ''],
  )
}

const asPolicyError = (error: unknown): RlsPolicyError =>
  new RlsPolicyError(error instanceof Error ? error.message : String(error))

/**
 * Read access, the way hosted Realtime asks the database: one realtime.messages row
 * per extension is inserted with full rights, then selected as the caller; the rows
 * its SELECT policies let through are the extensions it may read. Always rolled back.
 */
export async function readAccess(
  db: PGlite,
  topic: string,
  claims: Claims,
  extensions: readonly TopicExtension[],
): Promise<Record<TopicExtension, boolean>> {
  const ids = new Map(extensions.map((extension) => [extension, randomUUID()]))
  try {
    return await db.transaction(async (tx) => {
      for (const [extension, id] of ids) {
        await tx.query('insert into realtime.messages (id, topic, extension) values ($1, $2, $3)', [
          id,
          topic,
          extension,
        ])
      }
      await actAs(tx, topic, claims)
      const visible = await tx.query<{ id: string }>(
        'select id from realtime.messages where id = any($1::uuid[])',
        [[...ids.values()]],
      )
      await tx.rollback()
      const seen = new Set(visible.rows.map((row) => row.id))
      return {
        broadcast: seen.has(ids.get('broadcast') ?? ''),
        presence: seen.has(ids.get('presence') ?? ''),
      }
    })
  } catch (error) {
    throw asPolicyError(error)
  }
}

/**
 * Write access: the caller inserts the extension's row itself, and its INSERT
 * policies (WITH CHECK) decide. A refusal is insufficient_privilege; any other
 * error is the policy failing. Always rolled back.
 */
export async function writeAccess(
  db: PGlite,
  topic: string,
  claims: Claims,
  extension: TopicExtension,
): Promise<boolean> {
  let refused = false
  try {
    await db.transaction(async (tx) => {
      await actAs(tx, topic, claims)
      try {
        await tx.query('insert into realtime.messages (topic, extension) values ($1, $2)', [topic, extension])
      } catch (error) {
        if ((error as { code?: unknown }).code !== '42501') throw error
        refused = true
      }
      await tx.rollback()
    })
  } catch (error) {
    throw asPolicyError(error)
  }
  return !refused
}

/** Fills in what `policies` does not know yet about `extension`, and answers whether it may be done. */
export async function mayOnTopic(
  db: PGlite,
  topic: string,
  claims: Claims,
  policies: TopicPolicies,
  extension: TopicExtension,
  access: 'read' | 'write',
): Promise<boolean> {
  const known = policies[extension][access]
  if (known !== undefined) return known
  const allowed =
    access === 'read'
      ? (await readAccess(db, topic, claims, [extension]))[extension]
      : await writeAccess(db, topic, claims, extension)
  policies[extension][access] = allowed
  return allowed
}

/**
 * A private channel's read rights, from RLS on realtime.messages. Hosted admits the
 * join when the caller may read either broadcast or presence there.
 */
export async function privatePolicies(
  db: PGlite,
  subTopic: string,
  claims: Claims,
  extensions: TopicExtension[],
): Promise<{ ok: true; policies: TopicPolicies } | { ok: false; reason: string }> {
  let read: Record<TopicExtension, boolean>
  try {
    read = await readAccess(db, subTopic, claims, extensions)
  } catch (error) {
    if (!(error instanceof RlsPolicyError)) throw error
    return { ok: false, reason: `RlsPolicyError: ${error.message}` }
  }
  if (!read.broadcast && !read.presence) {
    return {
      ok: false,
      reason: `Unauthorized: You do not have permissions to read from this Channel topic: ${subTopic}`,
    }
  }
  const policies = uncheckedPolicies()
  policies.broadcast.read = read.broadcast
  if (extensions.includes('presence')) policies.presence.read = read.presence
  return { ok: true, policies }
}
