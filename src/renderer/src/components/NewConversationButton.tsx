import { useNewConversation } from '../stores/new-conversation.ts'

export function NewConversationButton() {
  const show = useNewConversation((state) => state.show)
  return (
    <button
      type="button"
      className="button ghost"
      onClick={show}
      aria-keyshortcuts="N"
      title="New conversation (N)"
    >
      New conversation
    </button>
  )
}
