import type { DesktopNotification } from '../../shared/domain.ts'
import { appError } from '../../shared/errors.ts'
import type { Platform } from '../platform-interface.ts'
import { alertsCapability } from './alerts-capability.ts'
import { appCapability } from './app-capability.ts'
import { conversationsCapability } from './conversations-capability.ts'
import { createCoreServices, type AppCoreConfig, type CoreServices } from './core-services.ts'
import { createDispatcherRegistry, type Reply } from './dispatch.ts'
import { embeddedCapability } from './embedded-capability.ts'
import type { EventListener } from './event-hub.ts'
import { membersCapability } from './members-capability.ts'
import { messagesCapability } from './messages-capability.ts'
import { notesCapability } from './notes-capability.ts'
import { presenceCapability } from './presence-capability.ts'
import { sendersCapability } from './senders-capability.ts'
import { sessionCapability } from './session-capability.ts'
import { startConversationCapability } from './start-conversation-capability.ts'
import { settingsCapability } from './settings-capability.ts'
import { twilioCapability } from './twilio-capability.ts'
import { workspacesCapability } from './workspaces-capability.ts'

export type { AppCoreConfig } from './core-services.ts'
export type { EventListener } from './event-hub.ts'
export { demoAccounts } from './embedded-capability.ts'

/**
 * The composition root of the main-process services. Electron's main process and
 * the browser shell's Node host both create exactly this and talk to it through
 * `dispatch` (requests) and `subscribe` (events), both checked against the contract.
 */
export interface AppCore {
  dispatch(channel: string, payload: unknown): Promise<Reply>
  subscribe(listener: EventListener): () => void
  /** A desktop notification was clicked: the renderer opens its conversation (or workspace). */
  notificationClicked(notification: Pick<DesktopNotification, 'workspaceId' | 'contactId'>): void
  dispose(): Promise<void>
}

export function createAppCore(platform: Platform, config: AppCoreConfig = {}): AppCore {
  return assembleAppCore(createCoreServices(platform, config))
}

/** Registers every capability on one dispatcher; a channel left unanswered is a startup error. */
export function assembleAppCore(services: CoreServices): AppCore {
  const { events, alerts, runtime, logger } = services
  const dispatcher = createDispatcherRegistry(logger)
  dispatcher.register(appCapability(services))
  dispatcher.register(sessionCapability(services))
  dispatcher.register(workspacesCapability(services))
  dispatcher.register(conversationsCapability(services))
  dispatcher.register(messagesCapability(services))
  dispatcher.register(presenceCapability(services))
  dispatcher.register(notesCapability(services))
  dispatcher.register(settingsCapability(services))
  dispatcher.register(alertsCapability(services))
  dispatcher.register(embeddedCapability(services))
  dispatcher.register(membersCapability(services))
  dispatcher.register(twilioCapability(services))
  dispatcher.register(sendersCapability(services))
  dispatcher.register(startConversationCapability(services))
  const unanswered = dispatcher.unregistered()
  if (unanswered.length > 0) throw new Error(`No capability answers ${unanswered.join(', ')}.`)

  return {
    async dispatch(channel, payload) {
      if (runtime.closing()) return { ok: false, error: appError('offline', 'The app is shutting down.') }
      return dispatcher.dispatch(channel, payload)
    },
    subscribe: (listener) => events.subscribe(listener),
    notificationClicked: (notification) => alerts.clicked(notification),
    async dispose() {
      if (runtime.closing()) return
      events.close()
      await runtime.dispose()
    },
  }
}
