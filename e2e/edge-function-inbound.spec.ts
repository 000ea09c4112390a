import { expect, test } from '@playwright/test'
import { platformEnv, startEdgeFunction, type EdgeFunction } from '../local-backend/edge-functions.ts'
import { edgeSecrets } from '../relay/config.ts'
import { embeddedRelayConfig } from '../relay/embedded.ts'
import { capturingLogger, startStack, textWorkspace, type Stack } from './support/stack.ts'
import { rows, signIn } from './support/page.ts'

/*
 * Issue 20's "an inbound text through the Edge Function running under Deno reaches the
 * inbox": supabase/functions/relay runs under Deno (from the `deno` npm package), served
 * by the backend's functions gateway at /functions/v1/relay as `npm run stack` serves it,
 * and the Twilio double posts the customer's text there, signed over that public URL.
 */

let stack: Stack
let edgeFunction: EdgeFunction | undefined
let relayUrl: string
const functionLog: string[] = []

test.beforeAll(async () => {
  test.setTimeout(120_000)
  stack = await startStack()
  const { name, config } = embeddedRelayConfig(stack.backend, {
    name: 'relay',
    twilioApiBaseUrl: stack.double.url,
  })
  edgeFunction = await startEdgeFunction({
    name: 'relay',
    // As the platform runs it: behind the gateway, which forwards the caller's address.
    env: { ...platformEnv(stack.backend), ...edgeSecrets({ ...config, trustProxy: true, localOnly: false }) },
    logger: capturingLogger(functionLog),
  })
  stack.backend.mountFunction(name, edgeFunction.handler)
  relayUrl = config.publicUrl
})
test.afterAll(async () => {
  await edgeFunction?.stop()
  await stack?.close()
})

test('a text posted signed to the relay Edge Function under Deno, at /functions/v1/relay, reaches the agent’s inbox', async ({
  page,
}) => {
  expect(relayUrl).toBe(`${stack.backend.url}/functions/v1/relay`)
  await signIn(page, stack.shell.url, 'ben@acme.test')
  await expect(rows(page).first()).toBeVisible()

  const body = 'Texted through the Edge Function under Deno'
  await textWorkspace(stack.double, relayUrl, '+15557123401', body)

  const row = rows(page).filter({ hasText: body })
  await expect(row).toHaveCount(1)
  await row.click()
  await expect(page.getByTestId('message').filter({ hasText: body })).toBeVisible()
  // Deno's relay answered the webhook, not the app's own relay mounted beside it.
  expect(
    functionLog.some((line) => line.includes('"edgeFunction":"relay"') && line.includes('/twilio/inbound')),
  ).toBe(true)
})
