import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import type { SecretStore } from './platform-interface.ts'

/**
 * AES-256-GCM under a key the host holds. Electron uses safeStorage (the OS key store)
 * instead; this one serves hosts without Electron (the browser shell's Node host, tests),
 * where the key's protection is the host's business.
 */
export function createAesSecretStore(key: Uint8Array): SecretStore {
  if (key.length !== 32) throw new RangeError('an AES-256 key is 32 bytes')
  return {
    isAvailable: () => true,
    encrypt(plaintext) {
      const iv = randomBytes(12)
      const cipher = createCipheriv('aes-256-gcm', key, iv)
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()])
      return Buffer.concat([iv, cipher.getAuthTag(), body])
    },
    decrypt(data) {
      const bytes = Buffer.from(data)
      if (bytes.length < 28) throw new Error('not an encrypted secret')
      const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, 12))
      decipher.setAuthTag(bytes.subarray(12, 28))
      return Buffer.concat([decipher.update(bytes.subarray(28)), decipher.final()]).toString('utf8')
    },
  }
}

/** A host with no key store at all (a Linux machine without a keyring). */
export const unavailableSecretStore: SecretStore = {
  isAvailable: () => false,
  encrypt: () => {
    throw new Error('no secure key store on this machine')
  },
  decrypt: () => {
    throw new Error('no secure key store on this machine')
  },
}
