import { create } from 'zustand'
import type { ResponseOf } from '../../../shared/contract.ts'
import type { SessionState } from '../../../shared/domain.ts'
import type { AppError, Result } from '../../../shared/errors.ts'
import { call } from '../api/api.ts'

type AppInfo = ResponseOf<'app.info'>

interface SessionStore {
  info: AppInfo | null
  session: SessionState | null
  /** Set when the first load failed: the page shows it with a retry. */
  loadError: AppError | null
  signingIn: boolean
  signInError: AppError | null
  load(): Promise<void>
  signIn(email: string, password: string): Promise<boolean>
  acceptInvite(email: string, code: string, password: string): Promise<boolean>
  signOut(): Promise<void>
  apply(session: SessionState): void
}

export const useSession = create<SessionStore>()((set) => {
  const enter = async (attempt: Promise<Result<SessionState>>) => {
    set({ signingIn: true, signInError: null })
    const result = await attempt
    if (!result.ok) {
      set({ signingIn: false, signInError: result.error })
      return false
    }
    set({ signingIn: false, session: result.value })
    return result.value.status === 'signed-in'
  }
  return {
    info: null,
    session: null,
    loadError: null,
    signingIn: false,
    signInError: null,
    async load() {
      set({ loadError: null })
      const [info, session] = await Promise.all([call('app.info', {}), call('session.get', {})])
      if (!info.ok) return set({ loadError: info.error })
      if (!session.ok) return set({ loadError: session.error, info: info.value })
      set({ info: info.value, session: session.value })
    },
    signIn: (email, password) => enter(call('session.signIn', { email, password })),
    acceptInvite: (email, code, password) => enter(call('session.acceptInvite', { email, code, password })),
    async signOut() {
      const result = await call('session.signOut', {})
      if (result.ok) set({ session: result.value })
    },
    apply(session) {
      set({ session })
    },
  }
})
