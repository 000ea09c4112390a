import { randomBytes } from 'node:crypto'
import twilio from 'twilio'

/**
 * Posts an incoming-SMS webhook to the relay exactly as Twilio would: the same
 * form fields, signed with the receiving account's auth token over the URL
 * Twilio was configured with.
 */
export interface InboundSms {
  /** The relay's public base URL, e.g. http://127.0.0.1:54321/functions/v1/sms-relay: posted to at /twilio/inbound. */
  relayUrl?: string
  /** Instead: the number's SmsUrl exactly as configured at Twilio, which posts to and signs over it. */
  webhookUrl?: string
  accountSid: string
  authToken: string
  to: string
  from: string
  body: string
  messageSid?: string
  numMedia?: number
  /** Sign differently from what is sent (tests of forged signatures). */
  signWith?: { authToken?: string; url?: string }
  /** Replace the signature header altogether; null sends none. */
  signature?: string | null
}

export interface InboundResult {
  status: number
  messageSid: string
  contentType: string | null
  text: string
}

export const newMessageSid = () => `SM${randomBytes(16).toString('hex')}`

export function inboundParams(
  sms: Pick<InboundSms, 'accountSid' | 'to' | 'from' | 'body' | 'numMedia'> & { messageSid: string },
) {
  const numMedia = sms.numMedia ?? 0
  return {
    ToCountry: 'US',
    ToState: '',
    SmsMessageSid: sms.messageSid,
    NumMedia: String(numMedia),
    ToCity: '',
    FromZip: '',
    SmsSid: sms.messageSid,
    FromState: '',
    SmsStatus: 'received',
    FromCity: '',
    Body: sms.body,
    FromCountry: 'US',
    To: sms.to,
    ToZip: '',
    NumSegments: String(Math.max(1, Math.ceil(sms.body.length / 153))),
    MessageSid: sms.messageSid,
    AccountSid: sms.accountSid,
    From: sms.from,
    ApiVersion: '2010-04-01',
  }
}

export async function postInboundSms(sms: InboundSms): Promise<InboundResult> {
  const messageSid = sms.messageSid ?? newMessageSid()
  const url = sms.webhookUrl ?? `${(sms.relayUrl ?? '').replace(/\/+$/, '')}/twilio/inbound`
  if (!URL.canParse(url))
    throw new Error('An inbound SMS needs the relay URL or the number’s SmsUrl to post to.')
  const params = inboundParams({ ...sms, messageSid })
  const signature =
    sms.signature === undefined
      ? twilio.getExpectedTwilioSignature(
          sms.signWith?.authToken ?? sms.authToken,
          sms.signWith?.url ?? url,
          params,
        )
      : sms.signature
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8',
      'User-Agent': 'TwilioProxy/1.1',
      'I-Twilio-Idempotency-Token': randomBytes(16).toString('hex'),
      ...(signature === null ? {} : { 'X-Twilio-Signature': signature }),
    },
    body: new URLSearchParams(params),
  })
  return {
    status: response.status,
    messageSid,
    contentType: response.headers.get('content-type'),
    text: await response.text(),
  }
}
