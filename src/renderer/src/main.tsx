import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { setApi } from './api/api.ts'
import { installBrowserPlatform, reportView } from './api/browser-platform.ts'
import { obtainTabSecret } from './api/tab-secret.ts'
import { createWebSocketApi, shellSocketUrl } from './api/websocket-api.ts'
import { catchUp, wireEvents } from './api/wire.ts'
import { App } from './App.tsx'
import { useConnection } from './stores/connection.ts'
import { useConversations } from './stores/conversations.ts'
import { rememberedFirstWorkspace, useWorkspaces } from './stores/workspaces.ts'
import './styles/tokens.css'
import './styles/app.css'

// Electron's preload provides the API; in a browser the shell's WebSocket carries the same contract.
// A socket that comes back (the host restarted on its port) is caught up on what it missed.
let cutOff = false
const api =
  window.appApi ??
  createWebSocketApi(
    shellSocketUrl(window.location),
    obtainTabSecret(window.location, window.history, window.sessionStorage),
    (status) => {
      useConnection.getState().setTransport(status)
      if (status === 'closed') cutOff = true
      else if (status === 'open' && cutOff) {
        cutOff = false
        void catchUp()
      }
    },
  )
setApi(api)
wireEvents(api)
// The inbox's first paint needs the workspaces and its first page of conversations: ask now, beside
// the session, rather than one after the other. Signed out, both answer "unauthorized" and are asked again after sign-in.
void useWorkspaces.getState().load()
const firstWorkspace = rememberedFirstWorkspace()
if (firstWorkspace) void useConversations.getState().load(firstWorkspace)
reportView(api)
if (!window.appApi) installBrowserPlatform(api)

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
)
