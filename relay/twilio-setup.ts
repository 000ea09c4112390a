import twilio from 'twilio'
import { err, ok, type Result } from '../src/shared/errors.ts'
import type {
  AccountNumber,
  AccountNumbersResponse,
  ConfigureNumberResponse,
  ConnectTwilioRequest,
  TwilioConnection,
  WebhookTarget,
} from '../src/shared/relay-contract.ts'
import type { Store } from './store.ts'
import type { TwilioClientFactory, TwilioCredentials, TwilioLogin } from './twilio-client.ts'

/** More numbers than any team's inbox holds: the listing stops there rather than paging forever. */
const NUMBER_LIMIT = 1000
const SERVICE_LIMIT = 100

type IncomingNumber = Awaited<
  ReturnType<ReturnType<TwilioClientFactory>['incomingPhoneNumbers']['list']>
>[number]

const refusedByTwilio = (error: unknown) =>
  error instanceof twilio.RestException && (error.status === 401 || error.status === 403)

/**
 * Connecting a workspace to its Twilio account and importing its numbers, for an
 * owner or admin the caller has already checked. Every change is made with a real
 * call to Twilio first and recorded for `actorId` in the audit trail; no answer
 * carries a secret.
 */
export function createTwilioSetup(deps: {
  store: Store
  twilioClient: TwilioClientFactory
  publicUrl: string
}) {
  const { store, twilioClient } = deps
  const relaySmsUrl = `${deps.publicUrl}/twilio/inbound`
  const relayStatusCallback = `${deps.publicUrl}/twilio/status`

  const webhookTarget = (smsUrl: string | null): WebhookTarget =>
    !smsUrl ? 'unset' : smsUrl === relaySmsUrl ? 'relay' : 'elsewhere'

  const accountNumber = (
    number: IncomingNumber,
    messagingServiceSid: string | null,
    heldBy: AccountNumber['held_by'],
  ): AccountNumber => ({
    sid: number.sid,
    phone_number: number.phoneNumber,
    friendly_name: number.friendlyName ?? null,
    sms_url: number.smsUrl || null,
    status_callback: number.statusCallback || null,
    webhook: webhookTarget(number.smsUrl || null),
    messaging_service_sid: messagingServiceSid,
    held_by: heldBy,
  })

  const connectionOf = (credentials: TwilioCredentials): TwilioConnection => ({
    account_sid: credentials.accountSid,
    api_key_sid: credentials.apiKey?.sid ?? null,
  })

  const storedCredentials = async (workspaceId: string): Promise<Result<TwilioCredentials>> => {
    const credentials = await store.credentials(workspaceId)
    return credentials
      ? ok(credentials)
      : err('not_configured', 'Connect the workspace to its Twilio account first.')
  }

  const upstream = (error: unknown, doing: string): Result<never> =>
    refusedByTwilio(error)
      ? err('not_configured', 'Twilio refused the stored credentials: connect the Twilio account again.')
      : err('upstream', `Twilio could not be reached to ${doing}; try again.`)

  /** The account's numbers and Messaging Services as Twilio lists them, and who holds each number here. */
  const listing = async (
    workspaceId: string,
    credentials: TwilioCredentials,
  ): Promise<Result<AccountNumbersResponse & { listed: IncomingNumber[] }>> => {
    const client = twilioClient(credentials)
    let listed: IncomingNumber[]
    const serviceOf = new Map<string, string>()
    let services: AccountNumbersResponse['messaging_services']
    try {
      const found = await Promise.all([
        client.incomingPhoneNumbers.list({ pageSize: 100, limit: NUMBER_LIMIT }),
        client.messaging.v1.services.list({ limit: SERVICE_LIMIT }),
      ])
      listed = found[0]
      services = found[1].map((service) => ({ sid: service.sid, friendly_name: service.friendlyName }))
      const pools = await Promise.all(
        found[1].map((service) => client.messaging.v1.services(service.sid).phoneNumbers.list()),
      )
      pools.forEach((pool, index) => {
        for (const number of pool) serviceOf.set(number.phoneNumber, found[1][index]!.sid)
      })
    } catch (error) {
      return upstream(error, "list the account's numbers")
    }
    const held = new Map(
      listed.length === 0
        ? []
        : (await store.heldNumbers(listed.map((number) => number.phoneNumber))).map((row) => [
            row.phone_number,
            row.workspace_id,
          ]),
    )
    const numbers = listed.map((number) =>
      accountNumber(
        number,
        serviceOf.get(number.phoneNumber) ?? null,
        !held.has(number.phoneNumber)
          ? 'none'
          : held.get(number.phoneNumber) === workspaceId
            ? 'this_workspace'
            : 'another_workspace',
      ),
    )
    return ok({
      relay_sms_url: relaySmsUrl,
      relay_status_callback: relayStatusCallback,
      numbers,
      messaging_services: services,
      listed,
    })
  }

  const withoutListed = ({ listed: _listed, ...answer }: AccountNumbersResponse & { listed: unknown }) =>
    answer

  return {
    async connection(workspaceId: string): Promise<TwilioConnection | null> {
      const credentials = await store.credentials(workspaceId)
      return credentials ? connectionOf(credentials) : null
    },

    /**
     * Checks the credentials with Twilio (fetching the account), then stores them. With
     * an API key the auth token, which the relay needs to check webhook signatures, is
     * the one the admin entered, checked with Twilio in turn, else the one the Account
     * resource shows the key (a Standard key may be shown none).
     */
    async connect(
      workspaceId: string,
      actorId: string,
      request: ConnectTwilioRequest,
    ): Promise<Result<TwilioConnection>> {
      const login: TwilioLogin = request.api_key_sid
        ? { accountSid: request.account_sid, apiKey: { sid: request.api_key_sid, secret: request.secret } }
        : { accountSid: request.account_sid, authToken: request.secret }
      if (!request.api_key_sid && request.auth_token)
        return err(
          'invalid_input',
          'Without an API key the secret is the auth token: leave Auth token empty.',
        )
      /** The Account resource as Twilio answers `checked`, or why not, the refusal recorded. */
      const fetchAccount = async (checked: TwilioLogin, refused: string) => {
        try {
          return ok(await twilioClient(checked).api.v2010.accounts(request.account_sid).fetch())
        } catch (error) {
          if (!refusedByTwilio(error)) return upstream(error, 'check the credentials')
          await store.audit(workspaceId, actorId, 'twilio.connection_refused', null, {
            account_sid: request.account_sid,
            api_key_sid: checked.apiKey?.sid ?? null,
            twilio_code: (error as InstanceType<typeof twilio.RestException>).code,
          })
          return err('invalid_input', refused)
        }
      }
      const account = await fetchAccount(
        login,
        request.api_key_sid
          ? 'Twilio refused this Account SID, API key SID and secret. Check that the key belongs to this account and copy its secret again.'
          : 'Twilio refused this Account SID and auth token. Copy both again from the Twilio Console.',
      )
      if (!account.ok) return account
      if (request.api_key_sid && request.auth_token) {
        const checked = await fetchAccount(
          { accountSid: request.account_sid, authToken: request.auth_token },
          "Twilio refused this auth token for the account. Copy it again from the Twilio Console's Account info.",
        )
        if (!checked.ok) return checked
      }
      const authToken = request.api_key_sid ? (request.auth_token ?? account.value.authToken) : request.secret
      if (!authToken)
        return err(
          'invalid_input',
          "Twilio did not show this API key the account's auth token, which the relay needs to check that texts come from Twilio. Fill in Auth token as well (from the Twilio Console's Account info).",
        )
      const credentials: TwilioCredentials = { ...login, authToken }
      await store.saveTwilioConfig(workspaceId, actorId, credentials)
      return ok(connectionOf(credentials))
    },

    async numbers(workspaceId: string): Promise<Result<AccountNumbersResponse>> {
      const credentials = await storedCredentials(workspaceId)
      if (!credentials.ok) return credentials
      const listed = await listing(workspaceId, credentials.value)
      return listed.ok ? ok(withoutListed(listed.value)) : listed
    },

    /** Imports numbers Twilio lists on the account; a number another workspace holds is left to it. */
    async importNumbers(
      workspaceId: string,
      actorId: string,
      numberSids: string[],
    ): Promise<Result<AccountNumbersResponse>> {
      const credentials = await storedCredentials(workspaceId)
      if (!credentials.ok) return credentials
      const before = await listing(workspaceId, credentials.value)
      if (!before.ok) return before
      const wanted = before.value.numbers.filter((number) => numberSids.includes(number.sid))
      if (wanted.length < new Set(numberSids).size)
        return err('invalid_input', "Some of these numbers are not on the workspace's Twilio account.")
      const taken = wanted.find((number) => number.held_by === 'another_workspace')
      if (taken) return err('conflict', `${taken.phone_number} is already in use by another workspace.`)
      for (const number of wanted.filter((entry) => entry.held_by === 'none')) {
        const twilioNumber = before.value.listed.find((entry) => entry.sid === number.sid)!
        const imported = await store.importNumber(
          {
            workspace_id: workspaceId,
            phone_number: number.phone_number,
            twilio_sid: number.sid,
            friendly_name: number.friendly_name,
            capabilities: twilioNumber.capabilities ?? null,
            messaging_service_sid: number.messaging_service_sid,
          },
          actorId,
        )
        if (!imported)
          return err('conflict', `${number.phone_number} was taken by another workspace meanwhile.`)
      }
      const after = await listing(workspaceId, credentials.value)
      return after.ok ? ok(withoutListed(after.value)) : after
    },

    /** Points an imported number's SmsUrl and StatusCallback at this relay, through Twilio's API. */
    async configureNumber(
      workspaceId: string,
      actorId: string,
      numberSid: string,
    ): Promise<Result<ConfigureNumberResponse>> {
      const credentials = await storedCredentials(workspaceId)
      if (!credentials.ok) return credentials
      const held = await store.numberBySid(workspaceId, numberSid)
      if (!held) return err('not_found', 'Import the number into this workspace before configuring it.')
      const client = twilioClient(credentials.value)
      let current: IncomingNumber
      let updated: IncomingNumber
      try {
        current = await client.incomingPhoneNumbers(numberSid).fetch()
        updated = await client.incomingPhoneNumbers(numberSid).update({
          smsUrl: relaySmsUrl,
          smsMethod: 'POST',
          statusCallback: relayStatusCallback,
          statusCallbackMethod: 'POST',
        })
      } catch (error) {
        return upstream(error, "configure the number's webhooks")
      }
      const before = { sms_url: current.smsUrl || null, status_callback: current.statusCallback || null }
      await store.audit(workspaceId, actorId, 'number.webhook_configured', held.id, {
        phone_number: held.phone_number,
        sms_url: { from: before.sms_url, to: updated.smsUrl },
        status_callback: { from: before.status_callback, to: updated.statusCallback },
      })
      return ok({ before, number: accountNumber(updated, held.messaging_service_sid, 'this_workspace') })
    },
  }
}
