import { useMemo } from 'react'
import type { Conversation, Workspace } from '../../../shared/domain.ts'
import { replyVariableValues, type ReplyVariableValues } from '../../../shared/reply-variables.ts'
import { useMember } from '../stores/members.ts'
import { useSession } from '../stores/session.ts'

/** The values a saved reply's {{variables}} take in this conversation, from this agent. */
export function useReplyVariableValues(
  conversation: Conversation,
  workspace: Workspace,
): ReplyVariableValues {
  const me = useSession((state) => (state.session?.status === 'signed-in' ? state.session.user.id : null))
  const agentName = useMember(workspace.id, me)?.displayName ?? null
  return useMemo(
    () =>
      replyVariableValues({
        contactName: conversation.name,
        phoneNumber: conversation.phoneNumber,
        agentName,
        workspaceName: workspace.name,
      }),
    [conversation.name, conversation.phoneNumber, agentName, workspace.name],
  )
}
