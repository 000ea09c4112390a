import type { SupabaseClient } from '@supabase/supabase-js'
import { z } from 'zod'
import {
  consentStateView,
  workspaceNumberView,
  type ConsentState,
  type WorkspaceNumber,
} from '../../shared/consent-and-numbers.ts'
import { selectList } from '../../shared/rows/columns.ts'
import { consentEventRowSchema } from '../../shared/rows/consent.ts'
import type { ConsentEventFields, SenderCache } from '../cache/sender-cache.ts'
import { normalizeTimestamp } from '../cache/time.ts'

/**
 * The rows behind the sender picker and the consent marks, as PostgREST and Realtime
 * deliver them: the workspace's numbers, read whole on every catch-up (a workspace holds
 * a handful), and consent states with the event that decided each.
 */

const consentEventFieldsSchema = consentEventRowSchema.pick({
  id: true,
  workspace_id: true,
  keyword: true,
  source: true,
})
/** A backfilled state embeds its deciding event (PostgREST may embed a to-one relation as a list of one). */
const consentStateRowSchema = consentStateView.row.extend({
  consent_events: z
    .union([consentEventFieldsSchema, z.array(consentEventFieldsSchema)])
    .nullable()
    .optional(),
})
export const consentStateColumns = `${selectList(consentStateView.row)}, consent_events(${selectList(consentEventFieldsSchema)})`

/** Far more numbers than any workspace sends from. */
const NUMBERS_MAX = 200

export async function fetchNumbers(client: SupabaseClient, workspaceId: string): Promise<WorkspaceNumber[]> {
  const { data, error } = await client
    .from('twilio_numbers')
    .select(selectList(workspaceNumberView.row))
    .eq('workspace_id', workspaceId)
    .order('created_at', { ascending: true })
    .order('id', { ascending: true })
    .limit(NUMBERS_MAX)
  if (error) throw new Error(`reading the numbers of a workspace failed: ${error.message}`)
  return z
    .array(workspaceNumberView.row)
    .parse(data ?? [])
    .map((row) => workspaceNumberView.fromRow(row))
}

/**
 * Applies a consent_states row (backfilled, with its event embedded, or live without it).
 * Returns the state when it changed the cache, and its updated_at for the cursor; null for
 * a row that does not match the schema.
 */
export function applyConsentStateRow(
  cache: SenderCache,
  row: unknown,
): { changed: ConsentState | null; updatedAt: string } | null {
  const parsed = consentStateRowSchema.safeParse(row)
  if (!parsed.success) return null
  const { consent_events: embedded, ...stateRow } = parsed.data
  const event = Array.isArray(embedded) ? embedded[0] : embedded
  if (event) cache.recordConsentEvent(event)
  const state = consentStateView.fromRow(stateRow)
  try {
    const normalized = {
      ...state,
      changedAt: normalizeTimestamp(state.changedAt),
      updatedAt: normalizeTimestamp(state.updatedAt),
    }
    return { changed: cache.upsertConsentState(normalized), updatedAt: normalized.updatedAt }
  } catch {
    return null
  }
}

/** Keeps a live consent_events insert; returns the states it completes. Null for a row that does not match. */
export function applyConsentEventRow(cache: SenderCache, row: unknown): ConsentState[] | null {
  const parsed = consentEventFieldsSchema.safeParse(row)
  if (!parsed.success) return null
  const event: ConsentEventFields = parsed.data
  return cache.recordConsentEvent(event)
}
