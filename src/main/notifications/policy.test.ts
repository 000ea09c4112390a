import { describe, expect, it } from 'vitest'
import type { Conversation, Message, NotificationSettings } from '../../shared/domain.ts'
import type { Note } from '../../shared/notes-and-replies.ts'
import { regionOfCountry } from '../../shared/phone.ts'
import {
  badgeFor,
  badgeLabel,
  decideMentionNotification,
  decideNotification,
  initialNotificationState,
  type NotificationPolicyState,
  type ViewState,
} from './policy.ts'

const WS = '7c2e9b14-3f6a-4d81-9e05-b8a1c4d2f637'
const WS2 = 'e41f0a9c-62d3-4b7e-a1c8-35f9d07b2e84'
const CONTACT = '3a8d5f20-c9b1-4e67-8f42-d16e0ab9c753'
const OTHER = 'b9e4c173-0d58-4a2f-b6e1-7f3c92a5d408'
const AGENT = '5f0c2a7e-8b31-4d96-a4e2-c17b09d3f581'
const COLLEAGUE = 'a2d94e61-37cb-4f08-9e15-60b8f3c2d7a4'

const conversation: Conversation = {
  id: CONTACT,
  workspaceId: WS,
  phoneNumber: '+15551234567',
  name: 'Dana Whitfield',
  email: null,
  status: 'Open',
  unreadCount: 1,
  lastMessageAt: null,
  lastMessagePreview: null,
  updatedAt: '2026-11-01T00:00:00.000000Z',
  assigneeId: null,
}

let counter = 0
function inbound(over: Partial<Message> = {}): Message {
  counter++
  return {
    id: `dddddddd-0000-4000-8000-${String(counter).padStart(12, '0')}`,
    workspaceId: WS,
    contactId: CONTACT,
    direction: 'inbound',
    content: 'Where is my  order?\n',
    status: 'delivered',
    errorCode: null,
    errorMessage: null,
    createdAt: '2026-11-01T00:00:00.000000Z',
    updatedAt: '2026-11-01T00:00:00.000000Z',
    createdBy: null,
    workspaceNumber: null,
    ...over,
  }
}

/** Acme texts from a US number: its customers' numbers show in US national format. */
const home = regionOfCountry('US')
const unfocused: ViewState = { focused: false, openConversationId: null }
const muted: Record<string, NotificationSettings> = { [WS]: { enabled: false, sound: true } }
const silent: Record<string, NotificationSettings> = { [WS]: { enabled: true, sound: false } }
const mineAndUnassigned: Record<string, NotificationSettings> = {
  [WS]: { enabled: true, sound: true, scope: 'mineAndUnassigned' },
}
const notified = { title: 'Dana Whitfield · Acme', body: 'Where is my order?', sound: true }

describe('notification policy', () => {
  const table: {
    name: string
    view: ViewState
    settings?: Record<string, NotificationSettings>
    message?: Partial<Message>
    conversation?: Conversation | null
    expected: { title: string; body: string; sound: boolean } | null
  }[] = [
    {
      name: 'unfocused window notifies with name, workspace and preview',
      view: unfocused,
      expected: { title: 'Dana Whitfield · Acme', body: 'Where is my order?', sound: true },
    },
    {
      name: 'focused on that conversation: nothing',
      view: { focused: true, openConversationId: CONTACT },
      expected: null,
    },
    {
      name: 'focused on another conversation notifies',
      view: { focused: true, openConversationId: OTHER },
      expected: { title: 'Dana Whitfield · Acme', body: 'Where is my order?', sound: true },
    },
    {
      name: 'conversation open but window unfocused notifies',
      view: { focused: false, openConversationId: CONTACT },
      expected: { title: 'Dana Whitfield · Acme', body: 'Where is my order?', sound: true },
    },
    { name: 'muted workspace: nothing', view: unfocused, settings: muted, expected: null },
    {
      name: 'another workspace muted does not mute this one',
      view: unfocused,
      settings: { [WS2]: { enabled: false, sound: false } },
      expected: { title: 'Dana Whitfield · Acme', body: 'Where is my order?', sound: true },
    },
    {
      name: 'sound off in settings',
      view: unfocused,
      settings: silent,
      expected: { title: 'Dana Whitfield · Acme', body: 'Where is my order?', sound: false },
    },
    {
      name: 'outbound messages never notify',
      view: unfocused,
      message: { direction: 'outbound' },
      expected: null,
    },
    {
      name: 'unnamed contact shows the formatted number',
      view: unfocused,
      conversation: { ...conversation, name: null },
      expected: { title: '(555) 123-4567 · Acme', body: 'Where is my order?', sound: true },
    },
    {
      name: 'only mine and unassigned: a colleague’s conversation stays quiet',
      view: unfocused,
      settings: mineAndUnassigned,
      conversation: { ...conversation, assigneeId: COLLEAGUE },
      expected: null,
    },
    {
      name: 'only mine and unassigned: my own conversation notifies',
      view: unfocused,
      settings: mineAndUnassigned,
      conversation: { ...conversation, assigneeId: AGENT },
      expected: notified,
    },
    {
      name: 'only mine and unassigned: nobody’s conversation notifies',
      view: unfocused,
      settings: mineAndUnassigned,
      expected: notified,
    },
    {
      name: 'only mine and unassigned: a conversation not cached yet may be anyone’s, and notifies',
      view: unfocused,
      settings: mineAndUnassigned,
      conversation: null,
      expected: { ...notified, title: 'Unknown number · Acme' },
    },
    {
      name: 'every conversation (the default): a colleague’s notifies too',
      view: unfocused,
      settings: { [WS]: { enabled: true, sound: true, scope: 'all' } },
      conversation: { ...conversation, assigneeId: COLLEAGUE },
      expected: notified,
    },
    {
      name: 'empty MMS body gets a placeholder',
      view: unfocused,
      message: { content: '' },
      expected: { title: 'Dana Whitfield · Acme', body: '(no text)', sound: true },
    },
  ]

  for (const row of table) {
    it(row.name, () => {
      const message = inbound(row.message)
      const decision = decideNotification(
        initialNotificationState,
        {
          message,
          conversation: row.conversation === undefined ? conversation : row.conversation,
          workspaceName: 'Acme',
          home,
          agentId: AGENT,
          now: 1000,
        },
        row.view,
        row.settings ?? {},
      )
      if (row.expected === null) {
        expect(decision.notification).toBeNull()
        expect(decision.state).toBe(initialNotificationState)
      } else {
        expect(decision.notification).toEqual({
          id: `message:${message.id}`,
          workspaceId: WS,
          contactId: CONTACT,
          ...row.expected,
        })
      }
    })
  }

  it('coalesces a burst of more than 3 within 2 s into one summary per workspace', () => {
    let state: NotificationPolicyState = initialNotificationState
    const shown: { id: string; contactId: string | null; body: string; sound: boolean }[] = []
    const at = [0, 100, 200, 300, 400, 1900, 3950, 6000]
    for (const now of at) {
      const decision = decideNotification(
        state,
        { message: inbound(), conversation, workspaceName: 'Acme', home, agentId: AGENT, now },
        unfocused,
        {},
      )
      state = decision.state
      if (decision.notification) shown.push(decision.notification)
    }
    // Messages 1-3 individually; 4, 5 and 6 as one summary (same id, so it replaces itself),
    // counting what arrived in the last 2 s; at 3950 the window has emptied again.
    expect(shown.map((n) => (n.contactId ? 'single' : `${n.id} ${n.body}`))).toEqual([
      'single',
      'single',
      'single',
      `burst:${WS} 4 new messages`,
      `burst:${WS} 5 new messages`,
      `burst:${WS} 6 new messages`,
      'single',
      'single',
    ])
    // Only the first summary of a burst makes a sound.
    expect(shown.filter((n) => n.contactId === null).map((n) => n.sound)).toEqual([true, false, false])
  })

  it('counts bursts per workspace', () => {
    let state: NotificationPolicyState = initialNotificationState
    const kinds: string[] = []
    for (let i = 0; i < 6; i++) {
      const workspaceId = i % 2 === 0 ? WS : WS2
      const decision = decideNotification(
        state,
        {
          message: inbound({ workspaceId }),
          conversation,
          workspaceName: 'W',
          home,
          agentId: AGENT,
          now: i * 10,
        },
        unfocused,
        {},
      )
      state = decision.state
      kinds.push(decision.notification?.contactId ? 'single' : 'summary')
    }
    expect(kinds).toEqual(['single', 'single', 'single', 'single', 'single', 'single'])
  })

  it('muted and suppressed messages do not count toward a burst', () => {
    let state: NotificationPolicyState = initialNotificationState
    for (let i = 0; i < 5; i++) {
      state = decideNotification(
        state,
        { message: inbound(), conversation, workspaceName: 'Acme', home, agentId: AGENT, now: i },
        { focused: true, openConversationId: CONTACT },
        {},
      ).state
    }
    const next = decideNotification(
      state,
      { message: inbound(), conversation, workspaceName: 'Acme', home, agentId: AGENT, now: 10 },
      unfocused,
      {},
    )
    expect(next.notification?.contactId).toBe(CONTACT)
  })
})

describe('badge', () => {
  const table: { unread: Record<string, number>; workspaces: string[]; total: number; label: string }[] = [
    { unread: {}, workspaces: [WS], total: 0, label: '' },
    { unread: { [WS]: 3 }, workspaces: [WS, WS2], total: 3, label: '3' },
    { unread: { [WS]: 3, [WS2]: 4 }, workspaces: [WS, WS2], total: 7, label: '7' },
    { unread: { [WS]: 3, [WS2]: 4 }, workspaces: [WS], total: 3, label: '3' },
    { unread: { [WS]: 150 }, workspaces: [WS], total: 150, label: '99+' },
  ]
  for (const row of table) {
    it(`${JSON.stringify(row.unread)} over ${row.workspaces.length} workspace(s) → ${row.total}`, () => {
      const badge = badgeFor(row.unread, row.workspaces)
      expect(badge.total).toBe(row.total)
      expect(Object.keys(badge.perWorkspace)).toEqual(row.workspaces)
      expect(badgeLabel(badge.total)).toBe(row.label)
    })
  }
})

describe('mention notifications', () => {
  const ME = 'aaaaaaaa-0000-4000-8000-000000000001'
  const TEAMMATE = 'aaaaaaaa-0000-4000-8000-000000000002'
  const note = (over: Partial<Note> = {}): Note => ({
    id: 'eeeeeeee-0000-4000-8000-000000000001',
    workspaceId: WS,
    contactId: CONTACT,
    body: '@Ava can you  call her back?\n',
    mentions: [ME],
    createdBy: TEAMMATE,
    createdAt: '2026-11-01T00:00:00.000000Z',
    updatedAt: '2026-11-01T00:00:00.000000Z',
    ...over,
  })
  const decide = (
    over: Partial<Note>,
    view: ViewState = unfocused,
    settings: Record<string, NotificationSettings> = {},
  ) =>
    decideMentionNotification(
      { note: note(over), me: ME, authorName: 'Ben', conversation, workspaceName: 'Acme', home },
      view,
      settings,
    )

  it('notifies the mentioned agent, naming the author, the conversation and the workspace', () => {
    expect(decide({})).toEqual({
      id: 'note:eeeeeeee-0000-4000-8000-000000000001',
      title: 'Ben mentioned you · Dana Whitfield · Acme',
      body: '@Ava can you call her back?',
      workspaceId: WS,
      contactId: CONTACT,
      sound: true,
    })
  })

  it.each<[string, Partial<Note>, ViewState, Record<string, NotificationSettings>]>([
    ['a note that mentions someone else', { mentions: [TEAMMATE] }, unfocused, {}],
    ['a note that mentions nobody', { mentions: [] }, unfocused, {}],
    ['my own note mentioning me', { createdBy: ME }, unfocused, {}],
    ['a workspace with notifications off', {}, unfocused, muted],
    ['the conversation open in a focused window', {}, { focused: true, openConversationId: CONTACT }, {}],
  ])('stays quiet for %s', (_name, over, view, settings) => {
    expect(decide(over, view, settings)).toBeNull()
  })

  it('notifies while another conversation is open, silently when sound is off', () => {
    expect(decide({}, { focused: true, openConversationId: OTHER }, silent)).toMatchObject({ sound: false })
  })
})
