import type { BackendSettings } from '../../shared/domain.ts'
import type { Logger } from '../../shared/log.ts'
import { createAppCore, type AppCore } from '../core/app-core.ts'
import type { Platform } from '../platform-interface.ts'

/**
 * The browser shell's services: the same core as Electron's, with no backend override
 * (null) meaning settings, then environment, then the embedded default (whose host
 * runs on this Node 24 directly from its .ts source).
 */
export function createShellCore(
  platform: Platform,
  options: { backend: BackendSettings | null; logger: Logger },
): AppCore {
  return createAppCore(platform, { backend: options.backend, logger: options.logger })
}
