// `npm run scan:secrets [-- <dir>]`: the built app (out/ by default) must hold no key
// or secret: not the Supabase CLI's public demo keys (nor our demo signing key), no Supabase secret key, no
// service_role JWT, no Twilio auth token of the demo seed. Run after every build in
// `npm test`; it names each finding and fails the run.
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import { cliDemoKeys } from '../local-backend/cli-demo-keys.ts'
import { ACME, GLOBEX } from '../relay/demo-accounts.ts'

const root = resolve(import.meta.dirname, '..')
const target = resolve(process.argv[2] ?? join(root, 'out'))

const knownSecrets: [string, string][] = [
  ['the Supabase CLI demo JWT secret', cliDemoKeys.jwtSecret],
  ['the Supabase CLI demo anon key', cliDemoKeys.anonKey],
  ['the Supabase CLI demo service_role key', cliDemoKeys.serviceRoleKey],
  ['the Supabase CLI demo publishable key', cliDemoKeys.publishableKeys[0]!],
  ['the Supabase CLI demo secret key', cliDemoKeys.secretKeys[0]!],
  ['the demo signing key', cliDemoKeys.signingKeys[0]!.privateJwk.d],
  ["Acme's seeded Twilio auth token", ACME.authToken],
  ["Globex's seeded Twilio auth token", GLOBEX.authToken],
]
// A key, not the bare prefix: the embedded backend's bundle names the prefix to mint each install's keys.
const secretKeyPattern = /sb_secret_[\w-]{20,}/
const jwtPattern = /eyJ[\w-]+\.eyJ[\w-]+\.[\w-]*/g

function files(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true, recursive: true })
      .filter((entry) => entry.isFile())
      .map((entry) => join(entry.parentPath, entry.name))
  } catch {
    return []
  }
}

/** The role a JWT-shaped string claims, if its payload decodes. */
function claimedRole(token: string): unknown {
  try {
    return (JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as { role?: unknown })
      .role
  } catch {
    return undefined
  }
}

function findingsIn(text: string): string[] {
  const found = knownSecrets.filter(([, secret]) => text.includes(secret)).map(([name]) => name)
  if (secretKeyPattern.test(text)) found.push('a Supabase secret key (sb_secret_…)')
  for (const [token] of text.matchAll(jwtPattern)) {
    if (claimedRole(token) === 'service_role') found.push('a service_role JWT')
  }
  return [...new Set(found)]
}

const scanned = files(target)
if (scanned.length === 0) {
  console.error(`secret scan: ${target} holds no files; build first (npm run build).`)
  process.exit(2)
}
const findings = scanned.flatMap((file) =>
  findingsIn(readFileSync(file, 'latin1')).map((what) => `${relative(root, file)}: ${what}`),
)
if (findings.length > 0) {
  console.error(`secret scan: ${findings.length} secret(s) in ${relative(root, target) || target}:`)
  for (const finding of findings) console.error(`  ${finding}`)
  process.exit(1)
}
console.log(`secret scan: ${scanned.length} files in ${relative(root, target) || target}, no key or secret.`)
