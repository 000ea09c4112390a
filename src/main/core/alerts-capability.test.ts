import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ensureContact, type TestContact } from '../../../relay/demo-accounts.ts'
import {
  coreAgainstStack,
  customerTexts,
  removeTestPlatforms,
  value,
} from '../../../test/support/core-harness.ts'
import { waitForItem } from '../../../test/support/batch-events.ts'
import { alertsCapability } from './alerts-capability.ts'

afterAll(removeTestPlatforms)

describe('alerts capability: desktop notifications and the badge, against the local backend', () => {
  let contact: TestContact
  const core = coreAgainstStack({
    capabilities: (services) => [alertsCapability(services)],
    prepare: async (stack) => {
      contact = await ensureContact(stack.service, stack.demo.acme, '+15557060001', 'Core Tester')
    },
    signIn: 'ava@acme.test',
  })
  beforeAll(core.start)
  afterAll(core.stop)

  /** Resolves once the core has handled the SMS: the policy decides right after sending it on, in the same turn. */
  const inbound = (body: string) => customerTexts(core, contact.phone_number, body)

  it('notifies for an inbound SMS while the agent looks elsewhere, and the badge counts it', async () => {
    const badgeBefore = core.platform.badges.all.at(-1)?.total ?? 0
    const badges = core.platform.badges.mark()
    await value(core.dispatch, 'view.report', { focused: false, openConversationId: null })
    await inbound('Is the zebra-striped case back in stock?')
    expect(core.platform.notifications.all).toEqual([
      expect.objectContaining({
        title: 'Core Tester · Acme Support',
        body: 'Is the zebra-striped case back in stock?',
        workspaceId: core.stack.demo.acme,
        contactId: contact.id,
      }),
    ])
    await core.platform.badges.waitFor((badge) => badge.total === badgeBefore + 1, 'the badge to count it', {
      since: badges,
    })
  })

  it('stays quiet while the agent has that conversation open', async () => {
    await value(core.dispatch, 'view.report', { focused: true, openConversationId: contact.id })
    await inbound('Never mind, found it')
    expect(core.platform.notifications.all).toHaveLength(1)
  })

  it('stays quiet for a workspace whose notifications the agent turned off', async () => {
    await value(core.dispatch, 'view.report', { focused: false, openConversationId: null })
    core.services.settings.replace({
      ...core.services.settings.get(),
      notifications: { [core.stack.demo.acme]: { enabled: false, sound: false } },
    })
    await inbound('Anyone there?')
    expect(core.platform.notifications.all).toHaveLength(1)
  })

  it('with “only mine and unassigned”, stays quiet for a colleague’s conversation and notifies for the agent’s own', async () => {
    const { stack, services } = core
    services.settings.replace({
      ...services.settings.get(),
      notifications: { [stack.demo.acme]: { enabled: true, sound: true, scope: 'mineAndUnassigned' } },
    })
    const assignTo = async (assigneeId: string) => {
      const since = core.events.mark()
      const { error } = await stack.service
        .from('contacts')
        .update({ assignee_id: assigneeId })
        .eq('id', contact.id)
      expect(error).toBeNull()
      await waitForItem(
        core.events,
        'conversations.upserted',
        (c) => c.id === contact.id && c.assigneeId === assigneeId,
        'the assignment in the cache',
        { since },
      )
    }
    const shown = core.platform.notifications.all.length
    await assignTo(stack.demo.ben)
    await inbound('Ben said he would call me back?')
    expect(core.platform.notifications.all).toHaveLength(shown)
    await assignTo(stack.demo.ava)
    await inbound('Ava, are you there?')
    expect(core.platform.notifications.all.slice(shown)).toEqual([
      expect.objectContaining({ body: 'Ava, are you there?', contactId: contact.id }),
    ])
  })

  it('opens the conversation of a clicked notification', async () => {
    const since = core.events.mark()
    core.services.alerts.clicked({ workspaceId: core.stack.demo.acme, contactId: contact.id })
    expect(core.events.all.slice(since)).toEqual([
      { event: 'navigation.open', payload: { workspaceId: core.stack.demo.acme, contactId: contact.id } },
    ])
  })
})
