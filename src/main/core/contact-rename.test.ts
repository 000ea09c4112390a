import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ensureContact, type TestContact } from '../../../relay/demo-accounts.ts'
import type { Conversation } from '../../shared/domain.ts'
import {
  coreAgainstStack,
  removeTestPlatforms,
  teammateOf,
  value,
} from '../../../test/support/core-harness.ts'
import { waitForItem } from '../../../test/support/batch-events.ts'
import { conversationsCapability } from './conversations-capability.ts'

/*
 * The contact panel's rename, between two agents of Acme on one real backend: Ava
 * renames, Ben's cache follows through Realtime, the audit trail keeps who renamed it
 * from what to what; a name the contract refuses never reaches the server, and RLS
 * stops a rename of another workspace's contact.
 */

afterAll(removeTestPlatforms)

describe('renaming a contact', () => {
  let contact: TestContact
  let globexContact: TestContact
  const ava = coreAgainstStack({
    capabilities: (services) => [conversationsCapability(services)],
    prepare: async (stack) => {
      contact = await ensureContact(stack.service, stack.demo.acme, '+15557190001', 'Rename Tester')
      globexContact = await ensureContact(stack.service, stack.demo.globex, '+15557190002', 'Globex Customer')
    },
    signIn: 'ava@acme.test',
  })
  const ben = teammateOf(ava, {
    capabilities: (services) => [conversationsCapability(services)],
    signIn: 'ben@acme.test',
  })

  beforeAll(async () => {
    await ava.start()
    await ben.start()
  })
  afterAll(async () => {
    await ben.stop()
    await ava.stop()
  })

  const serverName = async (id: string) => {
    const { data, error } = await ava.stack.service.from('contacts').select('name').eq('id', id).single()
    if (error) throw new Error(error.message)
    return (data as { name: string | null }).name
  }
  const renames = async () => {
    const { data, error } = await ava.stack.service
      .from('audit_events')
      .select('actor_id, details')
      .eq('action', 'contact.renamed')
      .eq('subject_id', contact.id)
      .order('created_at')
    if (error) throw new Error(error.message)
    return data
  }

  it('Ava renames the contact: Ben’s cache follows live, and the trail records who, from what, to what', async () => {
    const since = ben.events.mark()
    const renamed = await value<Conversation>(ava.dispatch, 'contacts.rename', {
      contactId: contact.id,
      name: '  Rena Tester  ',
    })
    expect(renamed.name).toBe('Rena Tester')
    const seen = await waitForItem(
      ben.events,
      'conversations.upserted',
      (c) => c.id === contact.id && c.name === 'Rena Tester',
      'the new name on Ben’s screen',
      { since },
    )
    expect(seen.phoneNumber).toBe(contact.phone_number)
    const benList = await value<{ items: Conversation[] }>(ben.dispatch, 'conversations.list', {
      workspaceId: ava.stack.demo.acme,
      filter: 'All',
    })
    expect(benList.items.find((c) => c.id === contact.id)?.name).toBe('Rena Tester')
    expect(await renames()).toEqual([
      { actor_id: ava.stack.demo.ava, details: { from: 'Rename Tester', to: 'Rena Tester' } },
    ])
  })

  it.each([
    ['empty', '   ', 'Invalid name: A contact’s name cannot be empty.'],
    ['oversized', 'x'.repeat(101), 'Invalid name: A contact’s name is at most 100 characters.'],
  ])('refuses an %s name with a typed error, and changes nothing', async (_what, name, message) => {
    expect(await ava.dispatch('contacts.rename', { contactId: contact.id, name })).toEqual({
      ok: false,
      error: { kind: 'invalid_input', message },
    })
    expect(await serverName(contact.id)).toBe('Rena Tester')
    expect(await renames()).toHaveLength(1)
  })

  it('RLS stops a rename of another workspace’s contact, in the app and at the server', async () => {
    expect(
      await ava.dispatch('contacts.rename', { contactId: globexContact.id, name: 'Taken' }),
    ).toMatchObject({
      ok: false,
      error: { kind: 'not_found' },
    })
    // Past the app's own check, straight to the server with Ava's session: RLS finds no row to update.
    const runtime = (await ava.services.runtime.current())!
    const { data, error } = await runtime.session.client
      .from('contacts')
      .update({ name: 'Taken' })
      .eq('id', globexContact.id)
      .select('id')
    expect(error).toBeNull()
    expect(data).toEqual([])
    expect(await serverName(globexContact.id)).toBe('Globex Customer')
  })

  it('the number cannot be changed by an agent', async () => {
    const runtime = (await ava.services.runtime.current())!
    const { error } = await runtime.session.client
      .from('contacts')
      .update({ phone_number: '+15557190003' })
      .eq('id', contact.id)
      .select('id')
    expect(error?.code).toBe('42501')
    const { data } = await ava.stack.service
      .from('contacts')
      .select('phone_number')
      .eq('id', contact.id)
      .single()
    expect(data).toEqual({ phone_number: contact.phone_number })
  })
})
