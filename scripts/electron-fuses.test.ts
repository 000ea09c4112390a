import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'
import { fuseProblems, loadBuilderConfig, requiredFuses } from './electron-fuses.ts'

const root = resolve(import.meta.dirname, '..')
const node = join(root, 'node_modules/.bin/node')
const dir = mkdtempSync(join(tmpdir(), 'fuses-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** The repository's electron-builder.yml with one fuse line taken out or changed. */
function configWith(name: string, edit: (line: string) => string | null): string {
  const lines = readFileSync(join(root, 'electron-builder.yml'), 'utf8').split('\n')
  const index = lines.findIndex((line) => line.trim().startsWith(`${name}:`))
  expect(index, `${name} is in electron-builder.yml`).toBeGreaterThan(-1)
  const edited = edit(lines[index]!)
  if (edited === null) lines.splice(index, 1)
  else lines[index] = edited
  const file = join(dir, `${name}-${edited === null ? 'missing' : 'flipped'}.yml`)
  writeFileSync(file, lines.join('\n'))
  return file
}

describe('the Electron fuses in the electron-builder configuration', () => {
  it('are all set as required in the repository’s configuration, as electron-builder reads it', async () => {
    const config = await loadBuilderConfig(root, null)
    expect(config.electronFuses).toMatchObject(requiredFuses)
    expect(fuseProblems(config)).toEqual([])
  })

  it.each(Object.keys(requiredFuses))(
    'a configuration without %s, or with it flipped, is named',
    async (name) => {
      const missing = await loadBuilderConfig(
        root,
        configWith(name, () => null),
      )
      expect(fuseProblems(missing)).toEqual([expect.stringContaining(`fuse ${name} is not set`)])
      const wanted = requiredFuses[name as keyof typeof requiredFuses]
      const flipped = await loadBuilderConfig(
        root,
        configWith(name, (line) => line.replace(String(wanted), String(!wanted))),
      )
      expect(fuseProblems(flipped)).toEqual([`fuse ${name} is ${!wanted}; it must be ${wanted}`])
    },
  )

  it('npm run audit:electron fails on a configuration missing one fuse, and says which', async () => {
    const config = configWith('enableCookieEncryption', () => null)
    const run = await promisify(execFile)(node, ['scripts/audit-electron.ts', '--config', config], {
      cwd: root,
    }).then(
      () => ({ code: 0, stdout: '' }),
      (error: { code: number; stdout: string }) => ({ code: error.code, stdout: error.stdout }),
    )
    expect(run.code).toBe(1)
    expect(run.stdout).toContain('OPEN      fuse enableCookieEncryption is not set')
    expect(run.stdout).toContain('fuses: 1 not set as required.')
  }, 120_000)
})
