import { err, ok, type Result } from './errors.ts'

/**
 * The ports a person may choose, each by a command-line flag or an environment
 * variable (the flag wins). Messages name both, so a taken port says how to move.
 */
export const portChoices = {
  /** The browser shell's page (`npm run web`); fixed, so an open tab finds the app again after a restart. */
  shell: { flag: '--port', env: 'SMS_INBOX_PORT', fallback: 54330 },
  /** The embedded backend (54321, as `supabase start`). */
  backend: { flag: '--backend-port', env: 'SMS_INBOX_BACKEND_PORT', fallback: 54321 },
} as const
export type PortChoice = keyof typeof portChoices

export const howToChoose = (choice: PortChoice) =>
  `${portChoices[choice].flag} <port> or ${portChoices[choice].env}=<port>`

/** A port number from a flag or variable `name`; 0 asks for any free port. */
export function parsePort(raw: string, name: string): Result<number> {
  const port = /^\d{1,5}$/.test(raw.trim()) ? Number(raw.trim()) : Number.NaN
  return Number.isInteger(port) && port <= 65535
    ? ok(port)
    : err('invalid_input', `${name} must be a port number from 0 to 65535, not "${raw}".`)
}

/** The port from the flag, else the environment, else the default. */
export function choosePort(
  choice: PortChoice,
  flag: string | undefined,
  env: Record<string, string | undefined>,
): Result<number> {
  const { flag: flagName, env: envName, fallback } = portChoices[choice]
  if (flag !== undefined) return parsePort(flag, flagName)
  const fromEnv = env[envName]
  return fromEnv === undefined || fromEnv.trim() === '' ? ok(fallback) : parsePort(fromEnv, envName)
}

/** One line for a port someone else holds: which port, and how to choose another. */
export const portInUseMessage = (choice: PortChoice, port: number, what: string) =>
  `Port ${port} is already in use, so ${what}. Choose another port with ${howToChoose(choice)}.`
