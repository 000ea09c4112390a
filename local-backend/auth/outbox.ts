/**
 * The emails auth would send. The embedded backend has no mail server: like the
 * Supabase CLI's Inbucket (Mailpit), it keeps each message where a developer or a
 * test can read it, here in memory, newest last, and bounded.
 */
export type MailKind =
  'confirmation' | 'invite' | 'magiclink' | 'recovery' | 'email_change' | 'reauthentication'

export interface Mail {
  to: string
  kind: MailKind
  /** The code the email shows (GoTrue's `{{ .Token }}`). */
  otp: string
  /** What the email's link carries (`{{ .TokenHash }}`), for verifyOtp({ token_hash }). */
  tokenHash: string
  /** `{{ .ConfirmationURL }}`: the /verify link that confirms and redirects. */
  link: string
  sentAt: Date
}

export interface Outbox {
  send(mail: Mail): void
  /** Every kept message, oldest first; optionally those to one address. */
  list(to?: string): Mail[]
}

const keptMessages = 500

export function createOutbox(): Outbox {
  const messages: Mail[] = []
  return {
    send(mail) {
      messages.push(mail)
      if (messages.length > keptMessages) messages.shift()
    },
    list: (to) => (to === undefined ? [...messages] : messages.filter((m) => m.to === to.toLowerCase())),
  }
}
