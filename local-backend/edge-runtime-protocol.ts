/** The `msg` of the JSON line edge-runtime-main.ts prints with the port it listens on. */
export const LISTENING = 'edge function listening'
