import type { ProjectKeys } from './keys.ts'

/**
 * The Supabase CLI's well-known local keys: public, so anyone can forge tokens with
 * them. Only the developer tools (`npm run stack`, `npm run sms:inbound`) and tests
 * may use them, so a script written for `supabase start` works against `npm run
 * stack` unchanged; the import boundaries keep every product folder from importing
 * this file, and the secret scan keeps the values out of the built app. The API keys
 * are the ones `supabase status` prints; the CLI generates no fixed signing key, so
 * this ES256 key is ours, as public as the rest.
 */
export const cliDemoKeys: ProjectKeys = {
  kind: 'es256',
  signingKeys: [
    {
      kid: 'c7b45ad2-53b2-4ed0-891f-dd378027a6b1',
      privateJwk: {
        kty: 'EC',
        crv: 'P-256',
        x: '3YK-uows7NbHYT4IR9xA7sbupZfT3OaBTxt1sb7VYCs',
        y: 'jAJetMJrjb67yJNNKdw6kNA582rrUE6wMluiKzCSxpE',
        d: 'YEmA76Dqjc2VptKPIlZjNHaNSmTW1mR3ysFs_pQC_yc',
      },
    },
  ],
  publishableKeys: ['sb_publishable_ACJWlzQHlZjBrEguHvfOxg_3BJgxAaH'],
  secretKeys: ['sb_secret_N7UND0UgjKTVK-Uodkm0Hg_xSvEMPvz'],
  jwtSecret: 'super-secret-jwt-token-with-at-least-32-characters-long',
  anonKey:
    'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJzdXBhYmFzZS1kZW1vIiwicm9sZSI6ImFub24iLCJleHAiOjE5ODM4MTI5OTZ9.CRXP1A7WOeoJeXxjNni43kdQwgnWNReilDMblYTn_I0',
  serviceRoleKey:
    'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJzdXBhYmFzZS1kZW1vIiwicm9sZSI6InNlcnZpY2Vfcm9sZSIsImV4cCI6MTk4MzgxMjk5Nn0.EGIM96RAZx35lJzdJsyH-qQwv8Hdp7fsn3W0YpN81IU',
}

/** The claims the CLI signs its demo API keys with. */
export const cliDemoKeyClaims = { iss: 'supabase-demo', exp: 1983812996 }
