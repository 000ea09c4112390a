import type { Logger } from '../../src/shared/log.ts'
import { startTwilioDouble, type TwilioDouble, type TwilioDoubleAccount } from './double.ts'

/** The fake Twilio accounts of supabase/seed.sql, so the demo's workspaces can send and receive. */
export const demoTwilioAccounts: TwilioDoubleAccount[] = [
  {
    sid: 'AC11111111111111111111111111111111',
    authToken: 'test_token_acme_not_a_secret_0001',
    numbers: ['+15550100001'],
  },
  {
    sid: 'AC22222222222222222222222222222222',
    authToken: 'test_token_globex_not_a_secret_02',
    numbers: ['+15550100002'],
  },
]

/** A demo recipient who replied STOP, to show a 21610 refusal. */
export const demoOptedOutNumber = '+15557770000'

/** The double as the embedded stack runs it: the seed's accounts, status callbacks after a second as a carrier would. */
export function startDemoTwilioDouble(logger: Logger, port = 0): Promise<TwilioDouble> {
  return startTwilioDouble({
    port,
    accounts: demoTwilioAccounts,
    optedOut: [demoOptedOutNumber],
    logger,
    callbackDelayMs: 1000,
  })
}
