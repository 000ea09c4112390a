import { PGlite } from '@electric-sql/pglite'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createMemoryLogger } from '../../logging/logger.ts'
import { watchRoleSettings, type RoleSettings } from './role-settings.ts'

/* The roles' settings as PostgREST holds them: read at start, re-read on NOTIFY pgrst 'reload config' only. */
let db: PGlite
let settings: RoleSettings

beforeAll(async () => {
  db = new PGlite()
  await db.exec(`create role anon; create role authenticated;
    alter role authenticated set statement_timeout = '8s'`)
  settings = await watchRoleSettings(db, createMemoryLogger('test').logger)
})
afterAll(async () => {
  await settings.stop()
  await db.close()
})

const timeoutOf = async (role: string) => (await settings.of(role)).statementTimeout

describe('the API roles’ settings', () => {
  it('reads each role’s statement_timeout at start, and none for a role without one', async () => {
    expect(await timeoutOf('authenticated')).toBe('8s')
    expect(await timeoutOf('anon')).toBeUndefined()
  })

  it('applies what any user may set, and leaves out superuser-only settings and the isolation level', async () => {
    await db.exec(`create role reporter;
      alter role reporter set plan_cache_mode = 'force_custom_plan';
      alter role reporter set work_mem = '8MB';
      alter role reporter set log_min_duration_statement = '1s';
      alter role reporter set default_transaction_isolation = 'serializable';
      notify pgrst, 'reload config'`)
    expect(await settings.of('reporter')).toEqual({
      applied: [
        ['plan_cache_mode', 'force_custom_plan'],
        ['work_mem', '8MB'],
      ],
    })
    expect(await settings.of('nobody')).toEqual({ applied: [] })
  })

  it('keeps them until a config reload, which a schema reload is not', async () => {
    await db.exec(
      `alter role anon set statement_timeout = '3s'; alter role authenticated reset statement_timeout`,
    )
    expect(await timeoutOf('anon')).toBeUndefined()
    await db.exec(`notify pgrst, 'reload schema'`)
    await db.exec(`notify pgrst`)
    expect(await timeoutOf('anon')).toBeUndefined()
    expect(await timeoutOf('authenticated')).toBe('8s')

    await db.exec(`notify pgrst, 'reload config'`)
    expect(await timeoutOf('anon')).toBe('3s')
    expect(await timeoutOf('authenticated')).toBeUndefined()
  })

  it('reloads when a transaction that notified commits, not before and not when it rolls back', async () => {
    await db.exec(`begin; alter role anon set statement_timeout = '1s'; notify pgrst, 'reload config'`)
    expect(await timeoutOf('anon')).toBe('3s')
    await db.exec('rollback')
    expect(await timeoutOf('anon')).toBe('3s')
    await db.exec(
      `begin; alter role anon set statement_timeout = '2s'; notify pgrst, 'reload config'; commit`,
    )
    expect(await timeoutOf('anon')).toBe('2s')
  })
})
