// pino-roll ships no types; this declares the options this repository passes.
declare module 'pino-roll' {
  import type { destination } from 'pino'

  interface PinoRollOptions {
    file: string
    /** A number of megabytes, or a string with a unit: '512k', '5m'. */
    size?: number | string
    extension?: string
    mkdir?: boolean
    sync?: boolean
    limit?: { count: number; removeOtherLogFiles?: boolean }
  }

  /** A SonicBoom destination; `file` is the path it writes to now. */
  export default function pinoRoll(
    options: PinoRollOptions,
  ): Promise<ReturnType<typeof destination> & { readonly file: string }>
}
