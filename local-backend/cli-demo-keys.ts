import type { ProjectKeys } from './keys.ts'

/**
 * The Supabase CLI's well-known local keys: public, so anyone can forge tokens with
 * them. Only the developer tools (`npm run stack`, `npm run sms:inbound`) and tests
 * may use them, so a script written for `supabase start` works against `npm run
 * stack` unchanged; the import boundaries keep every product folder from importing
 * this file, and the secret scan keeps the values out of the built app.
 */
export const cliDemoKeys: ProjectKeys = {
  kind: 'hs256',
  jwtSecret: 'super-secret-jwt-token-with-at-least-32-characters-long',
  anonKey:
    'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJzdXBhYmFzZS1kZW1vIiwicm9sZSI6ImFub24iLCJleHAiOjE5ODM4MTI5OTZ9.CRXP1A7WOeoJeXxjNni43kdQwgnWNReilDMblYTn_I0',
  serviceRoleKey:
    'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJzdXBhYmFzZS1kZW1vIiwicm9sZSI6InNlcnZpY2Vfcm9sZSIsImV4cCI6MTk4MzgxMjk5Nn0.EGIM96RAZx35lJzdJsyH-qQwv8Hdp7fsn3W0YpN81IU',
}

/** The claims the CLI signs its demo API keys with. */
export const cliDemoKeyClaims = { iss: 'supabase-demo', exp: 1983812996 }
