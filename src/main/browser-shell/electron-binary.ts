import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

/**
 * The installed Electron executable, or null. Reads what the electron package's
 * postinstall wrote (path.txt) instead of require('electron'), which would try to
 * download the binary on the spot: exactly what fails on a blocked network.
 */
export function installedElectronBinary(root: string): string | null {
  const packageDir = join(root, 'node_modules/electron')
  const pathFile = join(packageDir, 'path.txt')
  const relative = existsSync(pathFile) ? readFileSync(pathFile, 'utf8').trim() : null
  const override = process.env.ELECTRON_OVERRIDE_DIST_PATH
  const candidate = override
    ? join(override, relative ?? 'electron')
    : relative
      ? join(packageDir, 'dist', relative)
      : null
  return candidate && existsSync(candidate) ? candidate : null
}
