import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Workspace } from '../../shared/domain.ts'
import {
  coreAgainstStack,
  removeTestPlatforms,
  signedInRuntime,
  value,
} from '../../../test/support/core-harness.ts'
import type { BackendRuntime } from './backend-runtime.ts'
import { refreshWorkspaces, workspacesCapability } from './workspaces-capability.ts'

afterAll(removeTestPlatforms)

describe('workspaces capability against the local backend', () => {
  const core = coreAgainstStack({ capabilities: (services) => [workspacesCapability(services)] })
  beforeAll(core.start)
  afterAll(core.stop)

  const names = (workspaces: readonly Workspace[]) => workspaces.map((w) => w.name)

  it('refuses the list until an agent signs in', async () => {
    expect(await core.dispatch('workspaces.list', {})).toEqual({
      ok: false,
      error: { kind: 'unauthorized', message: 'Please sign in first.' },
    })
  })

  it("lists the agent's workspaces with their sending number, and badges their unread total", async () => {
    await signedInRuntime(core.services, 'ava@acme.test')
    const workspaces = await value<Workspace[]>(core.dispatch, 'workspaces.list', {})
    expect(workspaces.map((w) => [w.name, w.role, w.canSend, w.sendingNumber, w.segmentLimit])).toEqual([
      ['Acme Support', 'owner', true, '+15550100001', 3],
    ])
    expect(names(await core.events.waitForEvent('workspaces.changed', () => true, 'the workspaces'))).toEqual(
      ['Acme Support'],
    )
    expect(workspaces[0]!.unreadTotal).toBeGreaterThan(0)
    await core.platform.badges.waitFor(
      (badge) => badge.total === workspaces[0]!.unreadTotal,
      'the unread badge',
    )
  })

  it('follows the server when the agent joins a workspace, and forgets its cache when they leave it', async () => {
    const runtime: BackendRuntime = (await core.services.runtime.current())!
    const joined = await core.stack.service
      .from('workspace_members')
      .insert({ workspace_id: core.stack.demo.globex, user_id: core.stack.demo.ava, role: 'agent' })
    expect(joined.error).toBeNull()
    let since = core.events.mark()
    await refreshWorkspaces(runtime, core.services)
    expect(
      names(await core.events.waitForEvent('workspaces.changed', () => true, 'two workspaces', { since })),
    ).toEqual(['Acme Support', 'Globex Care'])
    await runtime.sync.whenLive()
    expect(runtime.cache.listConversations(core.stack.demo.globex, 'All').items).not.toEqual([])

    const left = await core.stack.service
      .from('workspace_members')
      .delete()
      .eq('workspace_id', core.stack.demo.globex)
      .eq('user_id', core.stack.demo.ava)
    expect(left.error).toBeNull()
    since = core.events.mark()
    await refreshWorkspaces(runtime, core.services)
    expect(
      names(await core.events.waitForEvent('workspaces.changed', () => true, 'one workspace', { since })),
    ).toEqual(['Acme Support'])
    expect(runtime.cache.listConversations(core.stack.demo.globex, 'All').items).toEqual([])
    expect(names(await value<Workspace[]>(core.dispatch, 'workspaces.list', {}))).toEqual(['Acme Support'])
    expect(runtime.cache.listConversations(core.stack.demo.acme, 'All').items).not.toEqual([])
  })
})
