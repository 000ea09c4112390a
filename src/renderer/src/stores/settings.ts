import { create } from 'zustand'
import type { Settings } from '../../../shared/domain.ts'
import type { AppError } from '../../../shared/errors.ts'
import { call } from '../api/api.ts'

interface SettingsStore {
  open: boolean
  settings: Settings | null
  error: AppError | null
  saving: boolean
  show(): Promise<void>
  hide(): void
  save(settings: Settings): Promise<boolean>
}

export const useSettings = create<SettingsStore>()((set) => ({
  open: false,
  settings: null,
  error: null,
  saving: false,
  async show() {
    set({ open: true, error: null })
    const result = await call('settings.get', {})
    set(result.ok ? { settings: result.value } : { error: result.error })
  },
  hide() {
    set({ open: false, error: null })
  },
  async save(settings) {
    set({ saving: true, error: null })
    const result = await call('settings.update', settings)
    if (!result.ok) {
      set({ saving: false, error: result.error })
      return false
    }
    set({ saving: false, settings: result.value })
    return true
  },
}))
