import { createClient } from '@supabase/supabase-js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { memberActionResponseSchema } from '../src/shared/member-admin-contract.ts'
import { relayErrorResponseSchema } from '../src/shared/relay-contract.ts'
import { startRelayStack, type RelayStack } from '../test/support/relay-stack.ts'
import { accessToken } from './demo-accounts.ts'

/*
 * Members through the relay, on the real backend: Ava owns Acme, Ben is its agent,
 * Cleo belongs to Globex. Each answer is checked, and what it left in the database.
 */
let stack: RelayStack
let ava: string
let ben: string
let cleo: string

beforeAll(async () => {
  stack = await startRelayStack()
  ava = await accessToken(stack.backend, 'ava@acme.test')
  ben = await accessToken(stack.backend, 'ben@acme.test')
  cleo = await accessToken(stack.backend, 'cleo@globex.test')
})
afterAll(async () => {
  await stack?.stop()
})

async function post(path: string, token: string, body: unknown) {
  const response = await fetch(`${stack.relayUrl}/members/${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  })
  const json: unknown = await response.json()
  return response.ok
    ? { status: response.status, value: memberActionResponseSchema.parse(json) }
    : { status: response.status, error: relayErrorResponseSchema.parse(json).error }
}

const roleOf = async (userId: string) => {
  const { data } = await stack.service
    .from('workspace_members')
    .select('role')
    .eq('workspace_id', stack.demo.acme)
    .eq('user_id', userId)
    .maybeSingle()
    .throwOnError()
  return (data as { role: string } | null)?.role ?? null
}
const newestTrail = async () => {
  const { data } = await stack.service
    .from('audit_events')
    .select('action, actor_id, subject_id, details')
    .eq('workspace_id', stack.demo.acme)
    .like('action', 'member.%')
    .order('created_at', { ascending: false })
    .limit(1)
    .single()
    .throwOnError()
  return data
}

describe('inviting', () => {
  it('an owner invites by email: the invitation waits, the email goes out, the trail names her', async () => {
    const answer = await post('invite', ava, {
      workspace_id: stack.demo.acme,
      email: 'Dana@Example.test',
      role: 'agent',
    })
    expect(answer).toEqual({ status: 200, value: { outcome: 'done', emailed: true } })
    expect(stack.backend.outbox.list('dana@example.test').map((mail) => mail.kind)).toEqual(['invite'])
    expect(await newestTrail()).toEqual({
      action: 'member.invited',
      actor_id: stack.demo.ava,
      subject_id: null,
      details: { email: 'dana@example.test', role: 'agent' },
    })
  })

  it('the invitee confirms through the email, and joins the workspace at sign-in', async () => {
    const [mail] = stack.backend.outbox.list('dana@example.test')
    const client = createClient(stack.backend.url, stack.backend.publishableKey, {
      auth: { persistSession: false, autoRefreshToken: false },
    })
    const { data, error } = await client.auth.verifyOtp({ token_hash: mail!.tokenHash, type: 'invite' })
    expect(error).toBeNull()
    const joined = await client.rpc('accept_invitations')
    expect(joined.data).toEqual([stack.demo.acme])
    expect(await roleOf(data.user!.id)).toBe('agent')
    const { data: workspaces } = await client.from('workspaces').select('id').throwOnError()
    expect(workspaces).toEqual([{ id: stack.demo.acme }])
  })

  it('refuses an agent, a stranger to the workspace, a member, and an owner’s role', async () => {
    const body = { workspace_id: stack.demo.acme, email: 'eve@example.test', role: 'agent' }
    expect((await post('invite', ben, body)).error?.kind).toBe('forbidden')
    expect((await post('invite', cleo, body)).error?.kind).toBe('forbidden')
    expect(await post('invite', ava, { ...body, email: 'ben@acme.test' })).toMatchObject({
      status: 409,
      error: { kind: 'conflict', message: 'ben@acme.test is already a member of this workspace.' },
    })
    expect(await post('invite', ava, { ...body, role: 'owner' })).toMatchObject({
      status: 400,
      error: { kind: 'invalid_input' },
    })
    expect((await post('invite', ava, { ...body, email: 'not-an-address' })).status).toBe(400)
    expect(stack.backend.outbox.list('eve@example.test')).toEqual([])
  })

  it('an address with an account is invited without an email', async () => {
    const answer = await post('invite', ava, {
      workspace_id: stack.demo.acme,
      email: 'cleo@globex.test',
      role: 'agent',
    })
    expect(answer).toEqual({ status: 200, value: { outcome: 'done', emailed: false } })
    expect(stack.backend.outbox.list('cleo@globex.test')).toEqual([])
  })
})

describe('revoking an invitation', () => {
  const pendingAs = async (token: string) => {
    const client = createClient(stack.backend.url, stack.backend.publishableKey, {
      auth: { persistSession: false, autoRefreshToken: false },
      global: { headers: { Authorization: `Bearer ${token}` } },
    })
    const { data } = await client
      .from('workspace_invitations')
      .select('id, email')
      .eq('email', 'frank@example.test')
      .throwOnError()
    return data
  }

  it('an owner revokes it; an agent can neither see nor revoke it; the emailed link then joins nothing', async () => {
    const acme = stack.demo.acme
    await post('invite', ava, { workspace_id: acme, email: 'frank@example.test', role: 'admin' })
    const [pending] = (await pendingAs(ava))!
    expect(pending?.email).toBe('frank@example.test')
    expect(await pendingAs(ben)).toEqual([])
    const body = { workspace_id: acme, invitation_id: pending!.id }
    expect(await post('revoke-invitation', ben, body)).toMatchObject({
      status: 403,
      error: { kind: 'forbidden' },
    })
    expect(await post('revoke-invitation', ava, { ...body, email: 'frank@example.test' })).toMatchObject({
      status: 400,
      error: { kind: 'invalid_input' },
    })
    expect(await post('revoke-invitation', ava, body)).toEqual({ status: 200, value: { outcome: 'done' } })
    expect(await pendingAs(ava)).toEqual([])
    expect(await newestTrail()).toEqual({
      action: 'member.invitation_revoked',
      actor_id: stack.demo.ava,
      subject_id: null,
      details: { email: 'frank@example.test', role: 'admin' },
    })
    expect(await post('revoke-invitation', ava, body)).toMatchObject({
      status: 404,
      error: { kind: 'not_found' },
    })

    const [mail] = stack.backend.outbox.list('frank@example.test')
    const frank = createClient(stack.backend.url, stack.backend.publishableKey, {
      auth: { persistSession: false, autoRefreshToken: false },
    })
    const { error } = await frank.auth.verifyOtp({ token_hash: mail!.tokenHash, type: 'invite' })
    expect(error).toBeNull()
    expect((await frank.rpc('accept_invitations')).data).toEqual([])
    expect((await frank.from('workspaces').select('id').throwOnError()).data).toEqual([])
  })
})

describe('roles and removal', () => {
  it('an admin cannot touch the owner; the last owner cannot leave; the owner removes a member', async () => {
    const acme = stack.demo.acme
    expect(await post('role', ava, { workspace_id: acme, user_id: stack.demo.ben, role: 'admin' })).toEqual({
      status: 200,
      value: { outcome: 'done' },
    })
    expect(await roleOf(stack.demo.ben)).toBe('admin')
    expect(await post('remove', ben, { workspace_id: acme, user_id: stack.demo.ava })).toMatchObject({
      status: 403,
      error: { kind: 'forbidden', message: 'Only an owner makes, demotes or removes an owner.' },
    })
    expect(
      await post('role', ava, { workspace_id: acme, user_id: stack.demo.ava, role: 'agent' }),
    ).toMatchObject({
      status: 409,
      error: { kind: 'conflict' },
    })
    expect(await post('remove', ava, { workspace_id: acme, user_id: stack.demo.ben })).toEqual({
      status: 200,
      value: { outcome: 'done' },
    })
    expect(await roleOf(stack.demo.ben)).toBeNull()
    expect(await newestTrail()).toEqual({
      action: 'member.removed',
      actor_id: stack.demo.ava,
      subject_id: stack.demo.ben,
      details: { role: 'admin' },
    })
    // Ben's token still verifies, but he manages nothing any more.
    expect((await post('remove', ben, { workspace_id: acme, user_id: stack.demo.ava })).error?.kind).toBe(
      'forbidden',
    )
  })
})
