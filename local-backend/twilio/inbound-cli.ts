import { parseArgs } from 'node:util'
import { z } from 'zod'
import { e164Schema as e164 } from '../../src/shared/domain.ts'
import { cliDemoKeys } from '../cli-demo-keys.ts'
import { postInboundSms } from './inbound.ts'

/**
 * `npm run sms:inbound -- --to <workspace number> --from <E.164> --body "..."`:
 * a customer texting in. The receiving account's credentials come from the
 * flags or, by default, from the workspace that owns --to, read with the
 * service role from `npm run stack` (whose CLI demo key is the default; the
 * embedded default's own keys never leave its child process).
 */
const usage = `Usage: npm run sms:inbound -- --to <workspace number> --from <E.164> --body "text"
  [--relay-url URL] [--supabase-url URL] [--secret-key KEY] [--account-sid AC...] [--auth-token TOKEN]`

const { values } = parseArgs({
  options: {
    to: { type: 'string' },
    from: { type: 'string' },
    body: { type: 'string' },
    'relay-url': { type: 'string', default: 'http://127.0.0.1:54321/functions/v1/sms-relay' },
    'supabase-url': { type: 'string', default: process.env.SUPABASE_URL ?? 'http://127.0.0.1:54321' },
    'secret-key': { type: 'string', default: process.env.SUPABASE_SECRET_KEY ?? cliDemoKeys.secretKeys[0] },
    'account-sid': { type: 'string' },
    'auth-token': { type: 'string' },
  },
})

const args = z.object({ to: e164, from: e164, body: z.string().min(1).max(1600) }).safeParse(values)
if (!args.success) {
  console.error(args.error.issues.map((issue) => `--${issue.path.join('.')}: ${issue.message}`).join('\n'))
  console.error(usage)
  process.exit(2)
}

async function restRows(path: string): Promise<unknown> {
  const response = await fetch(`${values['supabase-url']}/rest/v1/${path}`, {
    headers: { apikey: values['secret-key']! },
  })
  if (!response.ok) throw new Error(`The local backend answered ${response.status} for ${path.split('?')[0]}`)
  return response.json()
}

async function credentialsFor(to: string) {
  if (values['account-sid'] && values['auth-token'])
    return { accountSid: values['account-sid'], authToken: values['auth-token'] }
  const numbers = z
    .array(z.object({ workspace_id: z.string() }))
    .parse(await restRows(`twilio_numbers?select=workspace_id&phone_number=eq.${encodeURIComponent(to)}`))
  const workspaceId = numbers[0]?.workspace_id
  if (!workspaceId) throw new Error(`No workspace owns ${to}`)
  const configs = z
    .array(z.object({ account_sid: z.string(), auth_token: z.string() }))
    .parse(
      await restRows(`workspace_twilio_config?select=account_sid,auth_token&workspace_id=eq.${workspaceId}`),
    )
  const config = configs[0]
  if (!config) throw new Error(`The workspace owning ${to} has no Twilio configuration`)
  return { accountSid: config.account_sid, authToken: config.auth_token }
}

try {
  const credentials = await credentialsFor(args.data.to)
  const result = await postInboundSms({ relayUrl: values['relay-url']!, ...credentials, ...args.data })
  console.log(`${result.status} ${result.messageSid} ${result.text}`)
  process.exit(result.status === 200 ? 0 : 1)
} catch (error) {
  console.error(error instanceof Error ? error.message : String(error))
  process.exit(1)
}
