import { describe, expect, it } from 'vitest'
import {
  describeVariableProblems,
  expandVariables,
  hasVariables,
  replyVariableNames,
  replyVariableValues,
  type ReplyVariableValues,
} from './reply-variables.ts'

const rosa = replyVariableValues({
  contactName: '  Rosa María Diaz ',
  phoneNumber: '+15558100001',
  agentName: 'Ben',
  workspaceName: 'Acme',
})
const nameless = replyVariableValues({
  contactName: null,
  phoneNumber: '+15558100002',
  agentName: 'Ben',
  workspaceName: 'Acme',
})

describe('replyVariableValues', () => {
  it('splits a contact name into first and last words', () => {
    expect(rosa).toEqual({
      first_name: 'Rosa',
      last_name: 'Diaz',
      name: 'Rosa María Diaz',
      phone: '+15558100001',
      agent_name: 'Ben',
      workspace_name: 'Acme',
    })
  })

  it('gives a one-word name no last name, and a blank name no name at all', () => {
    const cher = replyVariableValues({
      contactName: 'Cher',
      phoneNumber: '+1',
      agentName: null,
      workspaceName: '',
    })
    expect(cher).toMatchObject({ first_name: 'Cher', last_name: null, name: 'Cher', agent_name: null })
    expect(cher.workspace_name).toBeNull()
    expect(
      replyVariableValues({
        ...{ contactName: '   ', phoneNumber: '+1' },
        agentName: 'A',
        workspaceName: 'W',
      }),
    ).toMatchObject({ first_name: null, last_name: null, name: null })
  })
})

describe('expandVariables', () => {
  it('fills every known variable, spaces inside the braces allowed', () => {
    expect(expandVariables('Hi {{first_name}}, {{ agent_name }} from {{workspace_name}}.', rosa)).toEqual({
      ok: true,
      text: 'Hi Rosa, Ben from Acme.',
    })
  })

  it('refuses an unknown variable and leaves it as written', () => {
    const result = expandVariables('Hi {{firstname}} and {{first_name}} {{firstname}}', rosa)
    expect(result).toEqual({
      ok: false,
      text: 'Hi {{firstname}} and Rosa {{firstname}}',
      problems: [{ kind: 'unknown', variable: 'firstname' }],
    })
  })

  it('refuses a variable this conversation has no value for', () => {
    const result = expandVariables('Hi {{first_name}}, this is {{agent_name}}', nameless)
    expect(result).toEqual({
      ok: false,
      text: 'Hi {{first_name}}, this is Ben',
      problems: [{ kind: 'no_value', variable: 'first_name' }],
    })
    if (result.ok) return
    expect(describeVariableProblems(result.problems)).toBe(
      '{{first_name}} has no value here (this contact has no name saved): replace it with the text to send.',
    )
  })

  it('tells a text holding a variable from one that holds none', () => {
    expect(hasVariables('Hi {{first_name}}')).toBe(true)
    expect(hasVariables('Hi {{ }}')).toBe(true)
    expect(hasVariables('Hi {first_name} {{ {x} }}')).toBe(false)
  })

  it('counts empty braces as an unknown variable, and leaves single braces alone', () => {
    expect(expandVariables('a {{}} b', rosa)).toMatchObject({
      ok: false,
      problems: [{ kind: 'unknown', variable: '' }],
    })
    expect(expandVariables('{x} {{ {first_name} }}', rosa)).toEqual({
      ok: true,
      text: '{x} {{ {first_name} }}',
    })
  })

  it('never expands a value again: a contact named like a variable is inserted as written', () => {
    const tricky = { ...rosa, first_name: '{{agent_name}}' }
    expect(expandVariables('Hi {{first_name}}', tricky)).toEqual({ ok: true, text: 'Hi {{agent_name}}' })
  })

  it('names every known variable when refusing an unknown one', () => {
    const message = describeVariableProblems([{ kind: 'unknown', variable: 'nickname' }])
    for (const name of replyVariableNames) expect(message).toContain(`{{${name}}}`)
  })

  it('fuzz: 8,420 templates of up to three pieces either expands fully or names exactly what was left raw', () => {
    const pieces = [
      'Hi ',
      '{{',
      '}}',
      '{',
      '}',
      ' ',
      'é',
      '👍',
      '\n',
      'x',
      'first_name',
      'nick',
      ...replyVariableNames.map((n) => `{{${n}}}`),
      '{{ phone }}',
      '{{bogus}}',
    ]
    const sources: ReplyVariableValues[] = [rosa, nameless, { ...nameless, agent_name: null, phone: null }]
    // Every sequence of one to three pieces (8,420 templates), each against one of the sources
    // in turn: exhaustive rather than random, so every run checks the same cases.
    const templates: string[] = []
    let level: string[][] = [[]]
    for (let length = 1; length <= 3; length++) {
      level = level.flatMap((parts) => pieces.map((piece) => [...parts, piece]))
      templates.push(...level.map((parts) => parts.join('')))
    }
    const outcomes = { expanded: 0, refused: 0 }
    for (const [index, template] of templates.entries()) {
      const values = sources[index % sources.length]!
      const result = expandVariables(template, values)
      outcomes[result.ok ? 'expanded' : 'refused']++
      if (result.ok) {
        // Each variable of the template was filled with its value, and nothing else changed.
        const filled = template.replace(
          /\{\{([^{}]*)\}\}/g,
          (_raw, inner: string) => values[inner.trim() as keyof ReplyVariableValues] ?? 'MISSING',
        )
        expect(result.text).toBe(filled)
        expect(filled).not.toContain('MISSING')
      } else {
        expect(result.problems.length).toBeGreaterThan(0)
        expect(new Set(result.problems.map((p) => p.variable)).size).toBe(result.problems.length)
        for (const problem of result.problems) {
          // Each refused variable is still in the text, as written, for the agent to see.
          expect(result.text).toMatch(
            new RegExp(`\\{\\{\\s*${problem.variable.replace(/[^\w]/g, '\\$&')}\\s*\\}\\}`),
          )
          if (problem.kind === 'no_value') expect(values[problem.variable]).toBeNull()
          else expect(replyVariableNames).not.toContain(problem.variable)
        }
      }
    }
    // Both ways were taken often enough to mean something.
    expect(outcomes.expanded).toBeGreaterThan(1000)
    expect(outcomes.refused).toBeGreaterThan(1000)
  })
})
