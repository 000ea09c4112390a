import twilio from 'twilio'

/** An API key of the account: its SK… SID and its secret. */
export interface TwilioApiKey {
  sid: string
  secret: string
}

/** How the relay signs in to Twilio's REST API: with an API key when there is one, else with the auth token. */
export type TwilioLogin =
  | { accountSid: string; apiKey: TwilioApiKey; authToken?: string }
  | { accountSid: string; apiKey?: null; authToken: string }

/** A workspace's stored connection: the auth token always, as Twilio signs its webhooks with it. */
export type TwilioCredentials = TwilioLogin & { authToken: string }

/** The part of the official client the relay uses; a factory yields one per workspace's credentials. */
export type TwilioAccountClient = Pick<
  twilio.Twilio,
  'messages' | 'incomingPhoneNumbers' | 'api' | 'messaging'
>
export type TwilioClientFactory = (login: TwilioLogin) => TwilioAccountClient

type RequestOptions = Parameters<twilio.RequestClient['request']>[0]

/**
 * Deno's HTTP client sends a request again, by itself, when the kept-alive connection it
 * reused closes before any answer: a POST to Messages included, which Twilio may already
 * have acted on, so a second text the relay never hears of. Under Deno each Twilio
 * request therefore gets a connection of its own, which the client never resends on.
 */
const keepAlive = !('Deno' in globalThis)

/**
 * The library's own HTTP client with every api.twilio.com URL moved onto another
 * origin (the local double), keeping path, query and auth exactly as the library
 * built them.
 */
class RebasedRequestClient extends twilio.RequestClient {
  readonly origin: URL

  constructor(baseUrl: string, timeoutMs: number) {
    super({ timeout: timeoutMs, keepAlive })
    this.origin = new URL(baseUrl)
  }

  override request<TData>(opts: RequestOptions & { data?: TData }) {
    const uri = new URL(opts.uri)
    uri.protocol = this.origin.protocol
    uri.host = this.origin.host
    return super.request<TData>({ ...opts, uri: uri.href })
  }
}

export function createTwilioClientFactory(
  options: { apiBaseUrl?: string; timeoutMs?: number } = {},
): TwilioClientFactory {
  const timeoutMs = options.timeoutMs ?? 10_000
  // One HTTP client for all workspaces, so connections are pooled across them.
  const httpClient = options.apiBaseUrl
    ? new RebasedRequestClient(options.apiBaseUrl, timeoutMs)
    : new twilio.RequestClient({ timeout: timeoutMs, keepAlive })
  return (login) =>
    login.apiKey
      ? twilio(login.apiKey.sid, login.apiKey.secret, { accountSid: login.accountSid, httpClient })
      : twilio(login.accountSid, login.authToken, { httpClient })
}
