import {
  accountNumbersResponseSchema,
  configureNumberResponseSchema,
  twilioConnectionResponseSchema,
} from '../../shared/relay-contract.ts'
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
  return {
    'twilio.connection': async ({ workspaceId }) => {
      const auth = await access.memberOf(workspaceId)
      if (!auth.ok) return auth
      const answer = await callRelay(
        auth.value.runtime,
        '/admin/twilio/connection',
        { workspace_id: workspaceId },
        twilioConnectionResponseSchema,
      )
      return answer.ok ? { ok: true, value: answer.value.connection } : answer
    },
    'twilio.connect': async ({ workspaceId, accountSid, apiKeySid, secret }) => {
      const auth = await access.memberOf(workspaceId)
      if (!auth.ok) return auth
      const answer = await callRelay(
        auth.value.runtime,
        '/admin/twilio/connect',
        { workspace_id: workspaceId, account_sid: accountSid, api_key_sid: apiKeySid, secret },
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
    'twilio.numbers': async ({ workspaceId }) => {
      const auth = await access.memberOf(workspaceId)
      if (!auth.ok) return auth
      return callRelay(
        auth.value.runtime,
        '/admin/twilio/numbers',
        { workspace_id: workspaceId },
        accountNumbersResponseSchema,
      )
    },
    'twilio.import': async ({ workspaceId, numberSids }) => {
      const auth = await access.memberOf(workspaceId)
      if (!auth.ok) return auth
      return callRelay(
        auth.value.runtime,
        '/admin/twilio/import',
        { workspace_id: workspaceId, number_sids: numberSids },
        accountNumbersResponseSchema,
      )
    },
    'twilio.configure': async ({ workspaceId, numberSid }) => {
      const auth = await access.memberOf(workspaceId)
      if (!auth.ok) return auth
      return callRelay(
        auth.value.runtime,
        '/admin/twilio/configure',
        { workspace_id: workspaceId, number_sid: numberSid },
        configureNumberResponseSchema,
      )
    },
  }
}
