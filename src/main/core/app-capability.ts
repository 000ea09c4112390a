import { ok } from '../../shared/errors.ts'
import type { Platform } from '../platform-interface.ts'
import type { HandlersFor } from './dispatch.ts'
import { demoAccounts } from './embedded-capability.ts'
import type { RuntimeSlot } from './runtime-slot.ts'

/** The app itself: its version and backend kind for the sign-in screen, and links opened in the OS browser. */
export function appCapability(deps: {
  platform: Platform
  runtime: RuntimeSlot
}): HandlersFor<'app.info' | 'shell.openExternal'> {
  const { platform, runtime } = deps
  return {
    'app.info': async () => {
      const embedded = runtime.backend().mode === 'embedded'
      return ok({ version: platform.appVersion, embedded, demoAccounts: embedded ? demoAccounts : [] })
    },
    // The contract admits only http(s) URLs; the Electron platform checks them again before the OS sees them.
    'shell.openExternal': async ({ url }) => {
      await platform.openExternal(url)
      return ok(null)
    },
  }
}
