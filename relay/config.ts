import { z } from 'zod'

/**
 * The relay's whole configuration, from the environment, checked once at start.
 * A missing or malformed variable stops the service with a message naming it,
 * never a crash on the first request.
 */
const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' })

/** The timings a relay configured in code (the embedded stack) starts with. */
export const relayTimingDefaults = {
  sendLeaseMs: 30_000,
  twilioTimeoutMs: 10_000,
  sweepIntervalMs: 10_000,
  statusCheckAfterMs: 300_000,
}

// Milliseconds held in a Postgres integer.
const milliseconds = z.coerce
  .number()
  .int()
  .min(1)
  .max(2 ** 31 - 1)

const envSchema = z
  .object({
    SUPABASE_URL: httpUrl,
    // A secret key (sb_secret_…); a legacy service_role JWT is still accepted by projects that have one.
    SUPABASE_SECRET_KEY: z.string().min(1, 'must not be empty'),
    // Twilio signs the URL it was configured with, so this must be the public one,
    // as Twilio sees it (a proxy in front rewrites host and path).
    RELAY_PUBLIC_URL: httpUrl,
    PORT: z.coerce.number().int().min(0).max(65535),
    HOST: z.string().min(1).default('127.0.0.1'),
    // Points the official Twilio client at another API host (the local double).
    TWILIO_API_BASE_URL: httpUrl.optional(),
    // Only behind a proxy that sets X-Forwarded-For may the per-IP limit trust it.
    TRUST_PROXY: z.enum(['true', 'false']).default('false'),
    // A relay only for programs on this machine refuses any connection not from a
    // loopback address, whatever its headers say.
    RELAY_LOCAL_ONLY: z.enum(['true', 'false']).default('false'),
    // How long one relay alone may work on a send before another may take it over. It
    // must outlast a Twilio request, since no send starts later than the lease allows.
    RELAY_SEND_LEASE_MS: milliseconds.default(relayTimingDefaults.sendLeaseMs),
    TWILIO_TIMEOUT_MS: milliseconds.default(relayTimingDefaults.twilioTimeoutMs),
    // How often the sweep looks for sends left in doubt and statuses left waiting.
    RELAY_SWEEP_INTERVAL_MS: milliseconds.default(relayTimingDefaults.sweepIntervalMs),
    // A sent message whose status has not moved for this long is fetched from Twilio.
    RELAY_STATUS_CHECK_AFTER_MS: milliseconds.default(relayTimingDefaults.statusCheckAfterMs),
  })
  .refine((env) => env.TWILIO_TIMEOUT_MS < env.RELAY_SEND_LEASE_MS, {
    path: ['TWILIO_TIMEOUT_MS'],
    error: 'must be shorter than RELAY_SEND_LEASE_MS',
  })

export interface RelayConfig {
  supabaseUrl: string
  secretKey: string
  /** Without a trailing slash. */
  publicUrl: string
  port: number
  host: string
  twilioApiBaseUrl?: string
  trustProxy: boolean
  /** Refuse every connection whose socket is not a loopback address. */
  localOnly: boolean
  sendLeaseMs: number
  twilioTimeoutMs: number
  sweepIntervalMs: number
  statusCheckAfterMs: number
}

export class ConfigError extends Error {
  override name = 'ConfigError'
}

export function loadConfig(env: Record<string, string | undefined> = process.env): RelayConfig {
  // An empty variable is as good as a missing one (a blank line in an .env file).
  const present = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value !== ''),
  )
  const parsed = envSchema.safeParse(present)
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const name = issue.path.join('.')
      return name in present || issue.code === 'custom' ? `${name} ${issue.message}` : `${name} is missing`
    })
    throw new ConfigError(`Invalid relay configuration: ${problems.join('; ')}`)
  }
  const value = parsed.data
  return {
    supabaseUrl: value.SUPABASE_URL,
    secretKey: value.SUPABASE_SECRET_KEY,
    publicUrl: value.RELAY_PUBLIC_URL.replace(/\/+$/, ''),
    port: value.PORT,
    host: value.HOST,
    ...(value.TWILIO_API_BASE_URL ? { twilioApiBaseUrl: value.TWILIO_API_BASE_URL.replace(/\/+$/, '') } : {}),
    trustProxy: value.TRUST_PROXY === 'true',
    localOnly: value.RELAY_LOCAL_ONLY === 'true',
    sendLeaseMs: value.RELAY_SEND_LEASE_MS,
    twilioTimeoutMs: value.TWILIO_TIMEOUT_MS,
    sweepIntervalMs: value.RELAY_SWEEP_INTERVAL_MS,
    statusCheckAfterMs: value.RELAY_STATUS_CHECK_AFTER_MS,
  }
}
