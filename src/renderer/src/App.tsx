import { useEffect } from 'react'
import { AdminScreen } from './components/admin/AdminScreen.tsx'
import { HelpOverlay } from './components/HelpOverlay.tsx'
import { NewConversationDialog } from './components/NewConversationDialog.tsx'
import { Inbox } from './components/Inbox.tsx'
import { SettingsDialog } from './components/SettingsDialog.tsx'
import { SignIn } from './components/SignIn.tsx'
import { useAdmin } from './stores/admin.ts'
import { useNewConversation } from './stores/new-conversation.ts'
import { useConnection } from './stores/connection.ts'
import { useSession } from './stores/session.ts'
import { useSettings } from './stores/settings.ts'
import { useUi } from './stores/ui.ts'

function Loading() {
  return (
    <main className="splash" aria-busy="true" aria-label="Loading">
      <span className="brand-mark" aria-hidden="true">
        SMS
      </span>
      <p className="muted">Starting SMS Inbox…</p>
    </main>
  )
}

function LoadFailed() {
  const error = useSession((state) => state.loadError)
  const load = useSession((state) => state.load)
  const transport = useConnection((state) => state.transport)
  return (
    <main className="splash" aria-label="Could not start">
      <div className="empty" role="alert">
        <p>
          <strong>SMS Inbox couldn’t start.</strong>
        </p>
        <p className="muted">
          {transport === 'refused'
            ? 'This page isn’t connected to the app. Open the link printed in the terminal where you started it.'
            : error?.message}
        </p>
        <button type="button" className="button primary" onClick={() => void load()}>
          Try again
        </button>
      </div>
    </main>
  )
}

export function App() {
  const session = useSession((state) => state.session)
  const loadError = useSession((state) => state.loadError)
  const load = useSession((state) => state.load)
  const settingsOpen = useSettings((state) => state.open)
  const helpOpen = useUi((state) => state.helpOpen)
  const adminOpen = useAdmin((state) => state.open)
  const newConversationOpen = useNewConversation((state) => state.open)

  useEffect(() => {
    void load()
    void useConnection.getState().load()
  }, [load])

  return (
    <>
      {loadError && !session ? (
        <LoadFailed />
      ) : !session ? (
        <Loading />
      ) : session.status === 'signed-in' ? (
        <Inbox />
      ) : (
        <SignIn />
      )}
      {settingsOpen && <SettingsDialog />}
      {helpOpen && <HelpOverlay />}
      {adminOpen && session?.status === 'signed-in' && <AdminScreen />}
      {newConversationOpen && session?.status === 'signed-in' && <NewConversationDialog />}
    </>
  )
}
