import {
  accountNumbersResponseSchema,
  configureNumberResponseSchema,
  twilioConnectionResponseSchema,
} from '../../shared/relay-contract.ts'
import type { z } from 'zod'
import type { Result } from '../../shared/errors.ts'
import type { Access } from './access.ts'
import type { HandlersFor } from './dispatch.ts'
import { callRelay } from './relay-call.ts'

/**
 * Connecting the workspace's Twilio account and its numbers, for its owners and
 * admins. Everything goes through the relay, which alone holds the secrets and asks
 * Twilio; it checks the caller's role itself, so this side only checks membership.
 */
export function twilioCapability({
  access,
}: {
  access: Access
}): HandlersFor<
  'twilio.connection' | 'twilio.connect' | 'twilio.numbers' | 'twilio.import' | 'twilio.configure'
> {
  // The relay checks the role; membership here only spares it requests that cannot succeed.
  const asMember = async <T>(
    workspaceId: string,
    path: string,
    body: Record<string, unknown>,
    schema: z.ZodType<T>,
  ): Promise<Result<T>> => {
    const auth = await access.memberOf(workspaceId)
    if (!auth.ok) return auth
    return callRelay(auth.value.runtime, path, { workspace_id: workspaceId, ...body }, schema)
  }
  return {
    'twilio.connection': async ({ workspaceId }) => {
      const answer = await asMember(
        workspaceId,
        '/admin/twilio/connection',
        {},
        twilioConnectionResponseSchema,
      )
      return answer.ok ? { ok: true, value: answer.value.connection } : answer
    },
    'twilio.connect': async ({ workspaceId, accountSid, apiKeySid, secret, authToken }) => {
      const answer = await asMember(
        workspaceId,
        '/admin/twilio/connect',
        { account_sid: accountSid, api_key_sid: apiKeySid, secret, auth_token: authToken },
        twilioConnectionResponseSchema,
      )
      if (!answer.ok) return answer
      const { connection } = answer.value
      return connection
        ? { ok: true, value: connection }
        : {
            ok: false,
            error: { kind: 'upstream', message: 'The relay did not say which account it connected.' },
          }
    },
    'twilio.numbers': ({ workspaceId }) =>
      asMember(workspaceId, '/admin/twilio/numbers', {}, accountNumbersResponseSchema),
    'twilio.import': ({ workspaceId, numberSids }) =>
      asMember(
        workspaceId,
        '/admin/twilio/import',
        { number_sids: numberSids },
        accountNumbersResponseSchema,
      ),
    'twilio.configure': ({ workspaceId, numberSid }) =>
      asMember(
        workspaceId,
        '/admin/twilio/configure',
        { number_sid: numberSid },
        configureNumberResponseSchema,
      ),
  }
}
