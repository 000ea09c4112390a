import { z } from 'zod'
import type { RateLimit } from '../src/shared/rate-limit.ts'
import type { RetryPolicy } from './twilio-send.ts'

/**
 * The relay's whole configuration, from the environment, checked once at start.
 * A missing or malformed variable stops the service with a message naming it,
 * never a crash on the first request.
 */
const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' })

export const defaultRetry: RetryPolicy = { attempts: 4, baseDelayMs: 250 }

export const defaultRateLimits = {
  perAgent: { burst: 30, perSecond: 1 },
  perIp: { burst: 120, perSecond: 5 },
}

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

const count = z.coerce.number().int().min(1).max(1_000_000)
const perSecond = z.coerce.number().positive().max(1_000_000)

/** What every relay reads, however it runs. */
const settings = {
  SUPABASE_URL: httpUrl,
  // Points the official Twilio client at another API host (the local double).
  TWILIO_API_BASE_URL: httpUrl.optional(),
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
  // Calls to Twilio for one send at most, and the first pause between them (it doubles).
  TWILIO_SEND_ATTEMPTS: count.max(10).optional(),
  TWILIO_RETRY_BASE_MS: milliseconds.optional(),
  // Token buckets shared by every relay of the project (relay_take_rate_token): requests
  // at once, and sustained per second, per agent and per client address.
  RELAY_AGENT_BURST: count.optional(),
  RELAY_AGENT_PER_SECOND: perSecond.optional(),
  RELAY_IP_BURST: count.optional(),
  RELAY_IP_PER_SECOND: perSecond.optional(),
}

const leaseOutlastsTwilio = [
  (env: { TWILIO_TIMEOUT_MS: number; RELAY_SEND_LEASE_MS: number }) =>
    env.TWILIO_TIMEOUT_MS < env.RELAY_SEND_LEASE_MS,
  { path: ['TWILIO_TIMEOUT_MS'], error: 'must be shorter than RELAY_SEND_LEASE_MS' },
] satisfies [unknown, { path: PropertyKey[]; error: string }]

/** The relay as its own server (`npm run relay`, a container). */
const serverEnvSchema = z
  .object({
    ...settings,
    // A secret key (sb_secret_…); a legacy service_role JWT is still accepted by projects that have one.
    SUPABASE_SECRET_KEY: z.string().min(1, 'must not be empty'),
    // Twilio signs the URL it was configured with, so this must be the public one,
    // as Twilio sees it (a proxy in front rewrites host and path).
    RELAY_PUBLIC_URL: httpUrl,
    PORT: z.coerce.number().int().min(0).max(65535),
    HOST: z.string().min(1).default('127.0.0.1'),
    // Only behind a proxy that sets X-Forwarded-For may the per-IP limit trust it.
    TRUST_PROXY: z.enum(['true', 'false']).default('false'),
  })
  .refine(...leaseOutlastsTwilio)

/** The JSON dictionary of secret keys hosted Edge Functions get, by key name. */
const secretKeysJson = z
  .string()
  .transform((text, context) => {
    try {
      return JSON.parse(text) as unknown
    } catch {
      context.addIssue({ code: 'custom', message: 'must be a JSON object of key names to keys' })
      return z.NEVER
    }
  })
  .pipe(z.record(z.string(), z.string().min(1)))

/**
 * The relay as a Supabase Edge Function: the platform provides SUPABASE_URL and the
 * project's keys (SUPABASE_SECRET_KEYS, a JSON dictionary whose `default` entry is the
 * secret key, and the legacy SUPABASE_SERVICE_ROLE_KEY); the rest are function secrets.
 */
const edgeEnvSchema = z
  .object({
    ...settings,
    // Set by hand, it wins over the platform's keys (a key made for the relay alone).
    SUPABASE_SECRET_KEY: z.string().min(1).optional(),
    SUPABASE_SECRET_KEYS: secretKeysJson.optional(),
    SUPABASE_SERVICE_ROLE_KEY: z.string().min(1).optional(),
    // Behind a custom domain or another gateway; else the project's own functions URL.
    RELAY_PUBLIC_URL: httpUrl.optional(),
    // Every request reaches a function through the platform's gateway, which appends the
    // caller's address to X-Forwarded-For.
    TRUST_PROXY: z.enum(['true', 'false']).default('true'),
  })
  .refine(...leaseOutlastsTwilio)
  .refine(
    (env) => env.SUPABASE_SECRET_KEY ?? env.SUPABASE_SECRET_KEYS?.default ?? env.SUPABASE_SERVICE_ROLE_KEY,
    {
      path: ['SUPABASE_SECRET_KEYS'],
      error:
        'has no "default" key, and neither SUPABASE_SECRET_KEY nor SUPABASE_SERVICE_ROLE_KEY is set: the relay needs the secret key',
    },
  )

export interface RelayConfig {
  supabaseUrl: string
  secretKey: string
  /** Without a trailing slash. */
  publicUrl: string
  /**
   * Served as an Edge Function: the runtime presents each request's path as
   * /<function name>/…, so routes are matched on what follows the first segment.
   */
  edgeFunction?: boolean
  twilioApiBaseUrl?: string
  trustProxy: boolean
  /** Refuse every connection whose socket is not a loopback address. */
  localOnly: boolean
  sendLeaseMs: number
  twilioTimeoutMs: number
  sweepIntervalMs: number
  statusCheckAfterMs: number
  /** Default: 4 attempts, 250 ms first pause. */
  retry?: RetryPolicy
  /** Default: 30 at once and 1 a second per agent, 120 and 5 per address. */
  rateLimits?: { perAgent: RateLimit; perIp: RateLimit }
}

/** The relay as its own HTTP server. */
export interface RelayServerConfig extends RelayConfig {
  port: number
  host: string
}

export class ConfigError extends Error {
  override name = 'ConfigError'
}

type Settings = z.infer<z.ZodObject<typeof settings>>

/** An empty variable is as good as a missing one (a blank line in an .env file). */
function parseEnv<T>(schema: z.ZodType<T>, env: Record<string, string | undefined>): T {
  const present = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value !== ''),
  )
  const parsed = schema.safeParse(present)
  if (parsed.success) return parsed.data
  const problems = parsed.error.issues.map((issue) => {
    const name = issue.path.join('.')
    return name in present || issue.code === 'custom' ? `${name} ${issue.message}` : `${name} is missing`
  })
  throw new ConfigError(`Invalid relay configuration: ${problems.join('; ')}`)
}

const bucket = (burst: number | undefined, rate: number | undefined, fallback: RateLimit): RateLimit => ({
  burst: burst ?? fallback.burst,
  perSecond: rate ?? fallback.perSecond,
})

function common(value: Settings & { TRUST_PROXY: 'true' | 'false' }) {
  const limitsSet = [
    value.RELAY_AGENT_BURST,
    value.RELAY_AGENT_PER_SECOND,
    value.RELAY_IP_BURST,
    value.RELAY_IP_PER_SECOND,
  ].some((setting) => setting !== undefined)
  const retrySet = value.TWILIO_SEND_ATTEMPTS !== undefined || value.TWILIO_RETRY_BASE_MS !== undefined
  return {
    supabaseUrl: value.SUPABASE_URL.replace(/\/+$/, ''),
    ...(value.TWILIO_API_BASE_URL ? { twilioApiBaseUrl: value.TWILIO_API_BASE_URL.replace(/\/+$/, '') } : {}),
    trustProxy: value.TRUST_PROXY === 'true',
    localOnly: value.RELAY_LOCAL_ONLY === 'true',
    sendLeaseMs: value.RELAY_SEND_LEASE_MS,
    twilioTimeoutMs: value.TWILIO_TIMEOUT_MS,
    sweepIntervalMs: value.RELAY_SWEEP_INTERVAL_MS,
    statusCheckAfterMs: value.RELAY_STATUS_CHECK_AFTER_MS,
    ...(retrySet
      ? {
          retry: {
            attempts: value.TWILIO_SEND_ATTEMPTS ?? defaultRetry.attempts,
            baseDelayMs: value.TWILIO_RETRY_BASE_MS ?? defaultRetry.baseDelayMs,
          },
        }
      : {}),
    ...(limitsSet
      ? {
          rateLimits: {
            perAgent: bucket(
              value.RELAY_AGENT_BURST,
              value.RELAY_AGENT_PER_SECOND,
              defaultRateLimits.perAgent,
            ),
            perIp: bucket(value.RELAY_IP_BURST, value.RELAY_IP_PER_SECOND, defaultRateLimits.perIp),
          },
        }
      : {}),
  }
}

export function loadConfig(env: Record<string, string | undefined> = process.env): RelayServerConfig {
  const value = parseEnv(serverEnvSchema, env)
  return {
    ...common(value),
    secretKey: value.SUPABASE_SECRET_KEY,
    publicUrl: value.RELAY_PUBLIC_URL.replace(/\/+$/, ''),
    port: value.PORT,
    host: value.HOST,
  }
}

/**
 * The configuration of the relay deployed as the Edge Function `functionName`: Twilio
 * signs the URL it posts to, https://<project>.supabase.co/functions/v1/<name>/…, so
 * that is the public URL unless RELAY_PUBLIC_URL names another.
 */
export function loadEdgeConfig(env: Record<string, string | undefined>, functionName: string): RelayConfig {
  const value = parseEnv(edgeEnvSchema, env)
  const supabaseUrl = value.SUPABASE_URL.replace(/\/+$/, '')
  return {
    ...common(value),
    secretKey: (value.SUPABASE_SECRET_KEY ??
      value.SUPABASE_SECRET_KEYS?.default ??
      value.SUPABASE_SERVICE_ROLE_KEY)!,
    publicUrl: (value.RELAY_PUBLIC_URL ?? `${supabaseUrl}/functions/v1/${functionName}`).replace(/\/+$/, ''),
    edgeFunction: true,
  }
}

/**
 * The environment that loadEdgeConfig reads back as `config` (less the platform's
 * SUPABASE_* variables): the secrets a relay function is deployed with.
 */
export function edgeSecrets(config: RelayConfig): Record<string, string> {
  return {
    RELAY_PUBLIC_URL: config.publicUrl,
    ...(config.twilioApiBaseUrl ? { TWILIO_API_BASE_URL: config.twilioApiBaseUrl } : {}),
    TRUST_PROXY: String(config.trustProxy),
    RELAY_LOCAL_ONLY: String(config.localOnly),
    RELAY_SEND_LEASE_MS: String(config.sendLeaseMs),
    TWILIO_TIMEOUT_MS: String(config.twilioTimeoutMs),
    RELAY_SWEEP_INTERVAL_MS: String(config.sweepIntervalMs),
    RELAY_STATUS_CHECK_AFTER_MS: String(config.statusCheckAfterMs),
    ...(config.retry
      ? {
          TWILIO_SEND_ATTEMPTS: String(config.retry.attempts),
          TWILIO_RETRY_BASE_MS: String(config.retry.baseDelayMs),
        }
      : {}),
    ...(config.rateLimits
      ? {
          RELAY_AGENT_BURST: String(config.rateLimits.perAgent.burst),
          RELAY_AGENT_PER_SECOND: String(config.rateLimits.perAgent.perSecond),
          RELAY_IP_BURST: String(config.rateLimits.perIp.burst),
          RELAY_IP_PER_SECOND: String(config.rateLimits.perIp.perSecond),
        }
      : {}),
  }
}
