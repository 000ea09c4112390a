/**
 * The {{variables}} of a saved reply, filled from the conversation before the text is
 * sent. Pure, so the composer (which shows and counts the expanded text) and the main
 * process (which refuses a raw variable at the send boundary) apply the same rules.
 *
 * Anything between double braces is a variable, spaces around its name allowed
 * (`{{ first_name }}`). Expansion is one pass: a value that itself holds braces (a
 * contact named "{{x}}") is inserted as written, never expanded again.
 */

export const replyVariableNames = [
  'first_name',
  'last_name',
  'name',
  'phone',
  'agent_name',
  'workspace_name',
] as const
export type ReplyVariable = (typeof replyVariableNames)[number]

/** What the variables are filled from: the open conversation, the agent and the workspace. */
export interface ReplyVariableSource {
  contactName: string | null
  phoneNumber: string
  agentName: string | null
  workspaceName: string | null
}

/** Each variable's value, null when this conversation has none (a contact saved without a name). */
export type ReplyVariableValues = Record<ReplyVariable, string | null>

export type VariableProblem =
  { kind: 'unknown'; variable: string } | { kind: 'no_value'; variable: ReplyVariable }

export type Expansion =
  | { ok: true; text: string }
  /** `text` keeps every variable it could not fill as written, so the agent sees where. */
  | { ok: false; text: string; problems: VariableProblem[] }

const variablePattern = /\{\{([^{}]*)\}\}/g

const isKnown = (name: string): name is ReplyVariable =>
  (replyVariableNames as readonly string[]).includes(name)

const present = (value: string | null): string | null => {
  const trimmed = value?.trim() ?? ''
  return trimmed.length > 0 ? trimmed : null
}

export function replyVariableValues(source: ReplyVariableSource): ReplyVariableValues {
  const name = present(source.contactName)
  const words = name?.split(/\s+/) ?? []
  return {
    first_name: words[0] ?? null,
    // A one-word name is a first name: it has no last name to offer.
    last_name: words.length > 1 ? words[words.length - 1]! : null,
    name,
    phone: present(source.phoneNumber),
    agent_name: present(source.agentName),
    workspace_name: present(source.workspaceName),
  }
}

/** Whether `text` holds anything between double braces. */
export function hasVariables(text: string): boolean {
  return new RegExp(variablePattern.source).test(text)
}

/** Fills every variable of `template`; each unknown or empty one is a problem, listed once, in order. */
export function expandVariables(template: string, values: ReplyVariableValues): Expansion {
  const problems: VariableProblem[] = []
  const listed = new Set<string>()
  const text = template.replace(variablePattern, (raw, inner: string) => {
    const variable = inner.trim()
    if (!isKnown(variable)) {
      if (!listed.has(variable)) problems.push({ kind: 'unknown', variable })
      listed.add(variable)
      return raw
    }
    const value = values[variable]
    if (value === null) {
      if (!listed.has(variable)) problems.push({ kind: 'no_value', variable })
      listed.add(variable)
      return raw
    }
    return value
  })
  return problems.length === 0 ? { ok: true, text } : { ok: false, text, problems }
}

const noValueReason: Record<ReplyVariable, string> = {
  first_name: 'this contact has no name saved',
  last_name: 'this contact has no last name saved',
  name: 'this contact has no name saved',
  phone: 'this contact has no number',
  agent_name: 'your profile has no name yet',
  workspace_name: 'the workspace has no name',
}

/** One sentence per problem, saying what to do: the composer shows it instead of sending. */
export function describeVariableProblems(problems: readonly VariableProblem[]): string {
  const known = replyVariableNames.map((name) => `{{${name}}}`).join(', ')
  return problems
    .map((problem) =>
      problem.kind === 'unknown'
        ? `{{${problem.variable}}} is not a variable this app fills (it fills ${known}): edit it out before sending.`
        : `{{${problem.variable}}} has no value here (${noValueReason[problem.variable]}): replace it with the text to send.`,
    )
    .join(' ')
}
