/**
 * Who may call the backend from a web page. `refused`, the product default: the app
 * calls from Node, which sends no Origin, so a request or WebSocket carrying one
 * comes from some page the agent has open in a browser, and gets nothing. `any`: the
 * developer stack answers every origin with CORS, as `supabase start` does, for
 * supabase-js in a browser.
 */
export type BrowserOrigins = 'refused' | 'any'

export const originRefusedMessage =
  'This backend answers only the SMS Inbox app, not web pages: requests carrying an Origin header are refused.'
