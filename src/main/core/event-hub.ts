import type { EventChannel, EventOf } from '../../shared/contract.ts'
import type { Logger } from '../../shared/log.ts'
import { checkEvent } from './dispatch.ts'

export type EventListener = (event: EventChannel, payload: unknown) => void
export type Emit = <E extends EventChannel>(event: E, payload: EventOf<E>) => void

/**
 * Where every capability's events leave the core. Each one is checked against the
 * contract first; a listener that throws never stops the others.
 */
export interface EventHub {
  emit: Emit
  subscribe(listener: EventListener): () => void
  /** The core is shutting down: nothing more goes out. */
  close(): void
}

export function createEventHub(logger: Logger): EventHub {
  const listeners = new Set<EventListener>()
  let closed = false
  return {
    emit(event, payload) {
      if (closed) return
      const checked = checkEvent(event, payload, logger)
      if (!checked.ok) return
      for (const listener of listeners) {
        try {
          listener(event, checked.payload)
        } catch (error) {
          logger.error('event listener threw', { event, error })
        }
      }
    },
    subscribe(listener) {
      listeners.add(listener)
      return () => {
        listeners.delete(listener)
      }
    },
    close() {
      closed = true
      listeners.clear()
    },
  }
}
