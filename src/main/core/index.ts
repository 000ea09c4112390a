export {
  createAppCore,
  demoAccounts,
  type AppCore,
  type AppCoreConfig,
  type EventListener,
} from './app-core.ts'
export { createDispatcher, type Handlers, type Reply } from './dispatch.ts'
