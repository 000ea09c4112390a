import { afterAll, describe, expect, it } from 'vitest'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { readWholeFile } from './read-whole-file.ts'

const scratch = mkdtempSync(join(tmpdir(), 'read-whole-file-'))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

describe('readWholeFile', () => {
  it('returns every byte, in a buffer of its own, from a path or a file URL', async () => {
    const expected = randomBytes(3 * 1024 * 1024 + 17)
    const file = join(scratch, 'blob.bin')
    writeFileSync(file, expected)
    for (const where of [file, pathToFileURL(file)]) {
      const bytes = await readWholeFile(where)
      expect(Buffer.from(bytes).equals(expected)).toBe(true)
      expect(bytes.byteOffset).toBe(0)
      expect(bytes.buffer.byteLength).toBe(expected.length)
    }
  })

  it('reads an empty file as no bytes', async () => {
    const file = join(scratch, 'empty.bin')
    writeFileSync(file, '')
    expect((await readWholeFile(file)).byteLength).toBe(0)
  })

  it('rejects with the reason when the file is missing', async () => {
    await expect(readWholeFile(join(scratch, 'missing.bin'))).rejects.toThrow(/ENOENT/)
  })
})
