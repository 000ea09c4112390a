import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { z } from 'zod'
import { parseConfigToml } from '../config-toml.ts'

/**
 * The `[auth]` part of supabase/config.toml, read as the Supabase CLI reads it
 * before it starts GoTrue: each key below is the one `supabase start` turns into
 * a GOTRUE_* setting, with the CLI's default when the file leaves it out
 * (supabase/cli pkg/config/templates/config.toml). Keys we do not act on are
 * allowed through, so a config written for the CLI loads unchanged.
 */
const email = z
  .looseObject({
    enable_signup: z.boolean().default(true),
    double_confirm_changes: z.boolean().default(true),
    enable_confirmations: z.boolean().default(false),
    secure_password_change: z.boolean().default(false),
    otp_length: z.int().min(6).max(10).default(6),
    otp_expiry: z.int().positive().default(3600),
  })
  .prefault({})

const sms = z
  .looseObject({
    enable_signup: z.boolean().default(false),
    enable_confirmations: z.boolean().default(false),
    test_otp: z.record(z.string(), z.string()).default({}),
  })
  .prefault({})

const rateLimit = z
  .looseObject({
    email_sent: z.int().nonnegative().default(2),
    anonymous_users: z.int().nonnegative().default(30),
    token_refresh: z.int().nonnegative().default(150),
    sign_in_sign_ups: z.int().nonnegative().default(30),
    token_verifications: z.int().nonnegative().default(30),
  })
  .prefault({})

const oauthServer = z
  .looseObject({
    enabled: z.boolean().default(false),
  })
  .prefault({})

const passwordRequirements = z
  .enum(['', 'letters_digits', 'lower_upper_letters_digits', 'lower_upper_letters_digits_symbols'])
  .default('')

const auth = z
  .looseObject({
    enabled: z.boolean().default(true),
    site_url: z.url().default('http://127.0.0.1:3000'),
    additional_redirect_urls: z.array(z.string()).default([]),
    jwt_expiry: z.int().min(1).max(604800).default(3600),
    jwt_secret: z.string().min(32).optional(),
    enable_refresh_token_rotation: z.boolean().default(true),
    refresh_token_reuse_interval: z.int().nonnegative().default(10),
    enable_signup: z.boolean().default(true),
    enable_anonymous_sign_ins: z.boolean().default(false),
    enable_manual_linking: z.boolean().default(false),
    minimum_password_length: z.int().min(6).default(6),
    password_requirements: passwordRequirements,
    email,
    sms,
    rate_limit: rateLimit,
    oauth_server: oauthServer,
  })
  .prefault({})

const configFile = z.looseObject({ auth })

/** What the embedded GoTrue stand-in needs to know, in the names its routes use. */
export interface AuthConfig {
  siteUrl: string
  redirectUrls: string[]
  jwtExpirySeconds: number
  /** Set only when config.toml names one; the backend otherwise uses the keys it was given or made. */
  jwtSecret: string | undefined
  refreshTokenRotation: boolean
  refreshTokenReuseIntervalSeconds: number
  /** GOTRUE_DISABLE_SIGNUP's opposite: any new account, by any means. */
  signupEnabled: boolean
  /** GOTRUE_EXTERNAL_EMAIL_ENABLED. */
  emailProviderEnabled: boolean
  /** GOTRUE_EXTERNAL_PHONE_ENABLED. */
  phoneProviderEnabled: boolean
  anonymousSignInsEnabled: boolean
  manualLinkingEnabled: boolean
  /** GOTRUE_MAILER_AUTOCONFIRM: sign-ups get a session at once, with no confirmation email. */
  mailerAutoconfirm: boolean
  phoneAutoconfirm: boolean
  secureEmailChange: boolean
  passwordChangeNeedsReauthentication: boolean
  minimumPasswordLength: number
  passwordRequirements: z.infer<typeof passwordRequirements>
  otpLength: number
  otpExpirySeconds: number
  /** Per address per 5 minutes (per hour for anonymous sign-ins), as GoTrue counts them. */
  rateLimits: z.infer<typeof rateLimit>
  /** GOTRUE_OAUTH_SERVER_ENABLED: Auth as an OAuth 2.1 server, with its registry of client apps. */
  oauthServerEnabled: boolean
}

export type AuthConfigResult = { ok: true; config: AuthConfig } | { ok: false; message: string }

export function authConfigFrom(toml: string, source: string): AuthConfigResult {
  const parsed = parseConfigToml(toml, source, configFile)
  if (!parsed.ok) return parsed
  const a = parsed.value.auth
  return {
    ok: true,
    config: {
      siteUrl: a.site_url,
      redirectUrls: a.additional_redirect_urls,
      jwtExpirySeconds: a.jwt_expiry,
      jwtSecret: a.jwt_secret,
      refreshTokenRotation: a.enable_refresh_token_rotation,
      refreshTokenReuseIntervalSeconds: a.refresh_token_reuse_interval,
      signupEnabled: a.enable_signup,
      emailProviderEnabled: a.email.enable_signup,
      phoneProviderEnabled: a.sms.enable_signup,
      anonymousSignInsEnabled: a.enable_anonymous_sign_ins,
      manualLinkingEnabled: a.enable_manual_linking,
      mailerAutoconfirm: !a.email.enable_confirmations,
      phoneAutoconfirm: !a.sms.enable_confirmations,
      secureEmailChange: a.email.double_confirm_changes,
      passwordChangeNeedsReauthentication: a.email.secure_password_change,
      minimumPasswordLength: a.minimum_password_length,
      passwordRequirements: a.password_requirements,
      otpLength: a.email.otp_length,
      otpExpirySeconds: a.email.otp_expiry,
      rateLimits: a.rate_limit,
      oauthServerEnabled: a.oauth_server.enabled,
    },
  }
}

/** The CLI's defaults: what a folder without config.toml gets. */
export const defaultAuthConfig: AuthConfig = (() => {
  const result = authConfigFrom('', 'defaults')
  if (!result.ok) throw new Error(result.message)
  return result.config
})()

/** Reads `<supabaseDir>/config.toml`; a folder without one runs with the CLI's defaults. */
export function readAuthConfig(supabaseDir: string): AuthConfigResult {
  const path = join(supabaseDir, 'config.toml')
  if (!existsSync(path)) return { ok: true, config: defaultAuthConfig }
  return authConfigFrom(readFileSync(path, 'utf8'), path)
}
