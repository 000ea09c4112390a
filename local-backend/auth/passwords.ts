import { randomBytes } from 'node:crypto'
import bcrypt from 'bcryptjs'

/** GoTrue's bcrypt cost, so hashes move between this backend and a hosted project unchanged. */
const cost = 10

/**
 * Passwords are hashed in JavaScript, as GoTrue does in Go, not with pgcrypto in
 * the database: the embedded Postgres is one connection, and a 100 ms bcrypt
 * inside it stalled every other request, while bcryptjs yields to the event loop
 * as it works. The hashes are `$2a$`, as GoTrue and pgcrypto write them, so a
 * seed's `extensions.crypt(…, gen_salt('bf'))` and these check each other
 * (pgcrypto does not read bcryptjs's default `$2b$`).
 */
export function hashPassword(password: string): Promise<string> {
  return bcrypt.hash(password, newSalt())
}

function newSalt(): string {
  return `$2a$${cost}$${bcrypt.encodeBase64(randomBytes(16), 16)}`
}

/**
 * A cost-10 hash of random bytes nobody kept. Written out rather than made at run
 * time: making it would add a second bcrypt to the first unknown-email sign-in,
 * which is exactly the timing difference it exists to hide.
 */
const absentAccountHash = '$2a$10$BqnScvvsJSC2VSJ46ZFguucOB4uj7copJaGing.7w2X.130zC7.q.'

/**
 * Whether the password matches the stored hash. With no account (or no password
 * on it), the password is checked against a throwaway hash of the same cost, so
 * the answer takes as long and does not reveal which emails have accounts.
 */
export async function passwordMatches(
  password: string,
  storedHash: string | null | undefined,
): Promise<boolean> {
  if (storedHash) return bcrypt.compare(password, storedHash)
  await bcrypt.compare(password, absentAccountHash)
  return false
}

const requiredCharacterSets = {
  '': [],
  letters_digits: ['abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ', '0123456789'],
  lower_upper_letters_digits: ['abcdefghijklmnopqrstuvwxyz', 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', '0123456789'],
  lower_upper_letters_digits_symbols: [
    'abcdefghijklmnopqrstuvwxyz',
    'ABCDEFGHIJKLMNOPQRSTUVWXYZ',
    '0123456789',
    '!@#$%^&*()_+-=[]{};\'\\:"|<>?,./`~',
  ],
} as const

export interface PasswordPolicy {
  minimumPasswordLength: number
  passwordRequirements: keyof typeof requiredCharacterSets
}

/**
 * GoTrue's checkPasswordStrength (password.go): what is wrong with a password, in
 * its `weak_password.reasons` words and its message, or undefined when it passes.
 */
export function passwordWeakness(
  password: string,
  policy: PasswordPolicy,
): { message: string; reasons: ('length' | 'characters')[] } | undefined {
  const reasons: ('length' | 'characters')[] = []
  const messages: string[] = []
  if (password.length < policy.minimumPasswordLength) {
    reasons.push('length')
    messages.push(`Password should be at least ${policy.minimumPasswordLength} characters.`)
  }
  const sets = requiredCharacterSets[policy.passwordRequirements]
  if (sets.some((set) => ![...password].some((ch) => set.includes(ch)))) {
    reasons.push('characters')
    messages.push(`Password should contain at least one character of each: ${sets.join(', ')}.`)
  }
  return reasons.length === 0 ? undefined : { message: messages.join(' '), reasons }
}
