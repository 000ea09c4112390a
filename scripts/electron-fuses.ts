// The Electron fuses the packaged app must be built with, and the check that
// `npm run audit:electron` runs over electron-builder's configuration.
import { createRequire } from 'node:module'
import { join } from 'node:path'
import type { Configuration } from 'electron-builder'

type Fuses = NonNullable<Configuration['electronFuses']>

/**
 * Each fuse, as electron-builder names it, and the value it must have. Off: the
 * binary can never run as plain Node, nor take NODE_OPTIONS or --inspect from whoever
 * starts it. On: cookies are encrypted at rest, and only the signed app.asar loads.
 */
export const requiredFuses = {
  runAsNode: false,
  enableNodeOptionsEnvironmentVariable: false,
  enableNodeCliInspectArguments: false,
  enableCookieEncryption: true,
  enableEmbeddedAsarIntegrityValidation: true,
  onlyLoadAppFromAsar: true,
} as const satisfies Fuses

/** One line per fuse not set as required; empty when all are. */
export function fuseProblems(config: Configuration): string[] {
  const fuses: Fuses = config.electronFuses ?? {}
  return Object.entries(requiredFuses).flatMap(([name, wanted]) => {
    const actual = fuses[name as keyof Fuses]
    if (actual === wanted) return []
    return [
      actual === undefined
        ? `fuse ${name} is not set; electronFuses.${name} must be ${wanted}`
        : `fuse ${name} is ${actual}; it must be ${wanted}`,
    ]
  })
}

type GetConfig = (projectDir: string, configPath: string | null, fromOptions: null) => Promise<Configuration>

/**
 * The configuration as electron-builder itself reads it (its file, package.json's
 * "build", any `extends`), with the loader of the installed version, so the check
 * sees what a build would use.
 */
export async function loadBuilderConfig(root: string, configPath: string | null): Promise<Configuration> {
  const fromBuilder = createRequire(join(root, 'node_modules/electron-builder/package.json'))
  const { getConfig } = fromBuilder('app-builder-lib/out/util/config/config.js') as { getConfig: GetConfig }
  return getConfig(root, configPath, null)
}
