import { createClient, type SupabaseClient } from '@supabase/supabase-js'
import { decodeJwt } from 'jose'
import { describe, expect, it } from 'vitest'
import { createMemoryLogger } from '../../logging/logger.ts'
import { defaultSupabaseDir } from '../db/database.ts'
import { startLocalBackend } from '../index.ts'
import { cliDemoKeys } from '../cli-demo-keys.ts'
import { authConfigFrom, readAuthConfig, type AuthConfig } from './config.ts'
import { supabaseFolder } from './test-support.ts'

// Each key as supabase/cli's pkg/config maps [auth] onto GoTrue's environment, and its template's defaults.
describe('supabase/config.toml [auth]', () => {
  it('takes the CLI defaults for what the file leaves out (cli pkg/config/templates/config.toml)', () => {
    const read = authConfigFrom('[auth]\nsite_url = "http://127.0.0.1:3000"\n', 'test')
    expect(read).toMatchObject({
      ok: true,
      config: {
        signupEnabled: true,
        emailProviderEnabled: true,
        anonymousSignInsEnabled: false,
        mailerAutoconfirm: true,
        jwtExpirySeconds: 3600,
        refreshTokenRotation: true,
        refreshTokenReuseIntervalSeconds: 10,
        minimumPasswordLength: 6,
        jwtSecret: undefined,
        oauthServerEnabled: false,
      },
    })
  })

  it('maps enable_confirmations to GOTRUE_MAILER_AUTOCONFIRM, inverted, and reads rate limits and oauth_server.enabled', () => {
    const read = authConfigFrom(
      '[auth]\nenable_signup = false\njwt_expiry = 600\n[auth.email]\nenable_confirmations = true\n[auth.rate_limit]\ntoken_refresh = 7\n[auth.oauth_server]\nenabled = true\n',
      'test',
    )
    expect(read.ok && read.config).toMatchObject({
      signupEnabled: false,
      mailerAutoconfirm: false,
      jwtExpirySeconds: 600,
      rateLimits: { token_refresh: 7, email_sent: 2 },
      oauthServerEnabled: true,
    })
  })

  it('refuses a value of the wrong type or malformed TOML, naming the key', () => {
    expect(authConfigFrom('[auth]\nenable_signup = "yes"\n', 'config.toml')).toMatchObject({
      ok: false,
      message: expect.stringContaining('auth.enable_signup'),
    })
    expect(authConfigFrom('[auth\n', 'config.toml')).toMatchObject({
      ok: false,
      message: expect.stringContaining('not valid TOML'),
    })
  })

  it("the project's own config opens email sign-up as the CLI's default does, and keeps anonymous and phone sign-ups off", () => {
    const read = readAuthConfig(defaultSupabaseDir)
    expect(read.ok && read.config).toMatchObject({
      signupEnabled: true,
      emailProviderEnabled: true,
      mailerAutoconfirm: true,
      anonymousSignInsEnabled: false,
      phoneProviderEnabled: false,
      siteUrl: 'http://127.0.0.1:5173',
      jwtSecret: cliDemoKeys.jwtSecret,
      oauthServerEnabled: false,
    })
  })

  it('a backend started on a folder whose config.toml allows sign-ups lets a new user sign up, with its jwt_expiry and jwt_secret', async () => {
    const jwtSecret = 'a-config-toml-secret-of-at-least-32-characters'
    const folder = supabaseFolder(
      `[auth]\nenable_signup = true\njwt_expiry = 900\njwt_secret = "${jwtSecret}"\n[auth.email]\nenable_confirmations = false\n`,
    )
    const backend = await startLocalBackend({
      port: 0,
      supabaseDir: folder.dir,
      logger: createMemoryLogger('t').logger,
    })
    try {
      expect(backend.jwtSecret).toBe(jwtSecret)
      const supabase = createClient(backend.url, backend.anonKey, { auth: { persistSession: false } })
      const { data, error } = await supabase.auth.signUp({
        email: 'walk-in@example.test',
        password: 'a-good-one',
      })
      expect(error).toBeNull()
      const claims = decodeJwt(data.session!.access_token)
      expect(claims.exp! - claims.iat!).toBe(900)
    } finally {
      await backend.stop()
      folder.remove()
    }
  })
})

describe('config.toml settings the routes act on', () => {
  const withBackend = async (auth: Partial<AuthConfig>, run: (supabase: SupabaseClient) => Promise<void>) => {
    const backend = await startLocalBackend({
      port: 0,
      seed: true,
      logger: createMemoryLogger('t').logger,
      auth,
    })
    try {
      await run(createClient(backend.url, backend.anonKey, { auth: { persistSession: false } }))
    } finally {
      await backend.stop()
    }
  }

  it('refresh_token_reuse_interval = 0: any replay of a rotated token revokes the session (token_refresh.go)', async () => {
    await withBackend({ refreshTokenReuseIntervalSeconds: 0, signupEnabled: true }, async (supabase) => {
      const { data } = await supabase.auth.signUp({
        email: 'reuse@example.test',
        password: 'a-fine-password',
      })
      const first = data.session!.refresh_token
      const rotated = await supabase.auth.refreshSession({ refresh_token: first })
      expect(rotated.error).toBeNull()
      const replay = await supabase.auth.refreshSession({ refresh_token: first })
      expect(replay.error).toMatchObject({ status: 400, code: 'refresh_token_already_used' })
      const family = await supabase.auth.refreshSession({
        refresh_token: rotated.data.session!.refresh_token,
      })
      expect(family.error).toMatchObject({ code: 'refresh_token_already_used' })
    })
  })

  it('password_requirements and minimum_password_length decide weak_password and its reasons (password.go)', async () => {
    await withBackend(
      { signupEnabled: true, minimumPasswordLength: 10, passwordRequirements: 'lower_upper_letters_digits' },
      async (supabase) => {
        const { error } = await supabase.auth.signUp({ email: 'rules@example.test', password: 'short' })
        expect(error).toMatchObject({ status: 422, code: 'weak_password', reasons: ['length', 'characters'] })
        const ok = await supabase.auth.signUp({ email: 'rules@example.test', password: 'LongEnough42' })
        expect(ok.error).toBeNull()
      },
    )
  })
})
