import { resolve } from 'node:path'
import { ESLint } from 'eslint'
import { describe, expect, it } from 'vitest'

// Each line is linted as if it were a file in the folder under test (lintText with a
// filePath writes nothing), through the repository's own eslint.config.js.
const eslint = new ESLint({ cwd: resolve(import.meta.dirname, '..') })

async function messages(filePath: string, code: string, ruleId: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath })
  return (result?.messages ?? []).filter((message) => message.ruleId === ruleId).map(({ message }) => message)
}

interface Row {
  /** The row's name, as the error message gives it. */
  row: string
  /** A file the row governs (it need not exist). */
  file: string
  allowed: string[]
  refused: string[]
}

const rows: Row[] = [
  {
    row: 'src/shared',
    file: 'src/shared/probe.ts',
    allowed: [
      "import { z } from 'zod'",
      "import type { Conversation } from './domain.ts'",
      "export * from './errors.ts'",
    ],
    refused: [
      "import { readFile } from 'node:fs'",
      "import { readFile } from 'fs'",
      "import { app } from 'electron'",
      "export { createClient } from '@supabase/supabase-js'",
      "export * from 'react'",
      "const { join } = await import('node:path')",
      "const path = require('node:path')",
      "import type { Platform } from '../main/platform-interface.ts'",
      "import { useUi } from '../renderer/src/stores/ui.ts'",
      "const relay = await import('../../relay/app.ts')",
    ],
  },
  {
    row: 'src/renderer',
    file: 'src/renderer/src/probe.ts',
    allowed: [
      "import { useState } from 'react'",
      "import { createRoot } from 'react-dom/client'",
      "import { create } from 'zustand'",
      "import { useVirtualizer } from '@tanstack/react-virtual'",
      "import type { AppApi } from '../../shared/contract.ts'",
      "import { useUi } from './stores/ui.ts'",
    ],
    refused: [
      "import { readFileSync } from 'node:fs'",
      "import { ipcRenderer } from 'electron'",
      "import { createClient } from '@supabase/supabase-js'",
      "import { z } from 'zod'",
      "const core = await import('../../main/core/index.ts')",
      "import '../../preload/index.ts'",
      "export * from '../../../local-backend/index.ts'",
      "const relay = require('../../../relay/app.ts')",
    ],
  },
  {
    row: 'src/main services',
    file: 'src/main/cache/probe.ts',
    allowed: [
      "import { DatabaseSync } from 'node:sqlite'",
      "import { createClient } from '@supabase/supabase-js'",
      "import type { Conversation } from '../../shared/domain.ts'",
      "import type { Platform } from '../platform-interface.ts'",
      "const { sync } = await import('../sync/sync.ts')",
      "import { launchEmbeddedStack } from '../embedded-stack/launcher.ts'",
    ],
    refused: [
      "import { app } from 'electron'",
      "import type { App } from 'electron'",
      "export { app } from 'electron'",
      "const { app } = await import('electron')",
      'const { app } = await import(`electron`)',
      "const electron = require('electron')",
      "import { createRequire } from 'node:module'\nconst electron = createRequire(import.meta.url)('electron')",
      "import { createRequire } from 'node:module'\nconst load = createRequire(import.meta.url)\nconst electron = load('electron')",
      "import { createRequire } from 'node:module'\nconst load = createRequire(import.meta.url)\nconst path = load.resolve('electron')",
      "const path = require.resolve('electron')",
      "export type App = typeof import('electron')",
      "import { createElectronPlatform } from '../electron/electron-platform.ts'",
      "import '../embedded-stack/host.ts'",
      "import { App } from '../../renderer/src/App.tsx'",
      "import '../../preload/index.ts'",
      "import { startLocalBackend } from '../../../local-backend/index.ts'",
      "import { createRelayApp } from '../../../relay/app.ts'",
      "import { until } from '../../../test/support/until.ts'",
      "import { ACME } from '../../../relay/demo-accounts.ts'",
      "import { cliDemoKeys } from '../../../local-backend/cli-demo-keys.ts'",
      "import '../../../../outside.ts'",
      "import { react } from 'react'",
    ],
  },
  {
    row: 'the embedded-stack host',
    file: 'src/main/embedded-stack/host.ts',
    allowed: [
      "import { startLocalBackend } from '../../../local-backend/index.ts'",
      "import { createRelayApp } from '../../../relay/app.ts'",
      "import { hostMessageSchema } from './host-messages.ts'",
    ],
    refused: [
      "import { utilityProcess } from 'electron'",
      "import '../electron/index.ts'",
      "import { ACME } from '../../../relay/demo-accounts.ts'",
      "import { cliDemoKeys } from '../../../local-backend/cli-demo-keys.ts'",
    ],
  },
  {
    row: 'the Electron layer',
    file: 'src/main/electron/probe.ts',
    allowed: [
      "import { app, BrowserWindow } from 'electron'",
      "import { createAppCore } from '../core/index.ts'",
      "import { readFile } from 'node:fs/promises'",
    ],
    refused: [
      "import { App } from '../../renderer/src/App.tsx'",
      "import '../../preload/index.ts'",
      "import '../embedded-stack/host.ts'",
      "import { useState } from 'react'",
      "import { startLocalBackend } from '../../../local-backend/index.ts'",
    ],
  },
  {
    row: 'src/preload',
    file: 'src/preload/probe.ts',
    allowed: [
      "import { contextBridge, ipcRenderer } from 'electron'",
      "import { ipcChannels } from '../shared/contract.ts'",
      "import type { Result } from '../shared/errors.ts'",
    ],
    refused: [
      "import { readFileSync } from 'node:fs'",
      "import { z } from 'zod'",
      "import type { Conversation } from '../shared/domain.ts'",
      "import { createAppCore } from '../main/core/index.ts'",
      "import '../renderer/src/main.tsx'",
    ],
  },
  {
    row: 'relay/',
    file: 'relay/probe.ts',
    allowed: [
      "import { Hono } from 'hono'",
      "import { serve } from '@hono/node-server'",
      "import twilio from 'twilio'",
      "import { createClient } from '@supabase/supabase-js'",
      "import { sendMessageRequestSchema } from '../src/shared/relay-contract.ts'",
      "import { createRelayApp } from './app.ts'",
      "import { openCliLog } from '../logging/app-log.ts'",
    ],
    refused: [
      "import { createAppCore } from '../src/main/core/index.ts'",
      "const { Cache } = await import('../src/main/cache/cache.ts')",
      "import { App } from '../src/renderer/src/App.tsx'",
      "import { startLocalBackend } from '../local-backend/index.ts'",
      "export { startTwilioDouble } from '../local-backend/twilio/double.ts'",
      "import { app } from 'electron'",
      "import { ACME } from './demo-accounts.ts'",
      "import { PGlite } from '@electric-sql/pglite'",
      "import { cliDemoKeys } from '../local-backend/cli-demo-keys.ts'",
    ],
  },
  {
    row: 'supabase/functions/',
    file: 'supabase/functions/relay/probe.ts',
    allowed: [
      "import { createRelayApp } from '../../../relay/app.ts'",
      "import { createLogger } from '../../../src/shared/log.ts'",
    ],
    refused: [
      "import { startLocalBackend } from '../../../local-backend/index.ts'",
      "import { serve } from '@hono/node-server'",
      "import { readFileSync } from 'node:fs'",
      "import { createAppCore } from '../../../src/main/core/index.ts'",
    ],
  },
  {
    row: 'logging/',
    file: 'logging/probe.ts',
    allowed: [
      "import { pino } from 'pino'",
      "import pinoRoll from 'pino-roll'",
      "import { createInterface } from 'node:readline'",
      "import type { Logger } from '../src/shared/log.ts'",
      "import { createLogger } from './logger.ts'",
    ],
    refused: [
      "import type { Conversation } from '../src/shared/domain.ts'",
      "import { createAppCore } from '../src/main/core/index.ts'",
      "const { createRelayApp } = await import('../relay/app.ts')",
      "import { startLocalBackend } from '../local-backend/index.ts'",
      "import { app } from 'electron'",
    ],
  },
  {
    row: 'local-backend/',
    file: 'local-backend/probe.ts',
    allowed: [
      "import { PGlite } from '@electric-sql/pglite'",
      "import { jwtVerify } from 'jose'",
      "import { Hono } from 'hono'",
      "import type { Logger } from '../src/shared/log.ts'",
      "import { generateProjectKeys } from './keys.ts'",
    ],
    refused: [
      "import { createRelayApp } from '../relay/app.ts'",
      "const relay = require('../relay/embedded.ts')",
      "import { createAppCore } from '../src/main/core/index.ts'",
      "import '../src/renderer/src/main.tsx'",
      "import '../src/preload/index.ts'",
      "import { app } from 'electron'",
      "import { createClient } from '@supabase/supabase-js'",
      "import { demo } from './db/demo-callers.ts'",
      "import { cliDemoKeys } from './cli-demo-keys.ts'",
    ],
  },
  {
    row: 'the inbound SMS developer tool',
    file: 'local-backend/twilio/inbound-cli.ts',
    allowed: ["import { cliDemoKeys } from '../cli-demo-keys.ts'"],
    refused: ["import { demo } from '../db/demo-callers.ts'", "import { app } from 'electron'"],
  },
  {
    row: 'src/main services tests',
    file: 'src/main/core/probe.test.ts',
    allowed: [
      "import { expect, it } from 'vitest'",
      "import { startRelayStack } from '../../../test/support/relay-stack.ts'",
      "import { ACME } from '../../../relay/demo-accounts.ts'",
      "import { startLocalBackend } from '../../../local-backend/index.ts'",
    ],
    refused: [
      "import { app } from 'electron'",
      "import { createElectronPlatform } from '../electron/electron-platform.ts'",
      "import { App } from '../../renderer/src/App.tsx'",
    ],
  },
  {
    row: 'local-backend/ tests',
    file: 'local-backend/twilio/probe.test.ts',
    allowed: [
      "import { expect, it } from 'vitest'",
      "import { createTwilioClientFactory } from '../../relay/twilio-client.ts'",
      "import { demo } from '../db/demo-callers.ts'",
    ],
    refused: ["import { createRelayApp } from '../../relay/app.ts'", "import '../../src/main/core/index.ts'"],
  },
  {
    row: 'relay/ tests',
    file: 'relay/probe.test.ts',
    allowed: [
      "import { expect, it } from 'vitest'",
      "import { startLocalBackend } from '../local-backend/index.ts'",
      "import { startRelayStack } from '../test/support/relay-stack.ts'",
      "import { ACME } from './demo-accounts.ts'",
    ],
    refused: [
      "import { createAppCore } from '../src/main/core/index.ts'",
      "import '../src/renderer/src/main.tsx'",
    ],
  },
]

describe('import boundaries', () => {
  for (const { row, file, allowed, refused } of rows) {
    describe(`${row} (${file})`, () => {
      it.each(allowed)('allows %s', async (code) => {
        expect(await messages(file, code, 'boundaries/imports')).toEqual([])
      })
      it.each(refused)('refuses %s', async (code) => {
        const found = await messages(file, code, 'boundaries/imports')
        expect(found).toHaveLength(1)
        expect(found[0]).toContain(row)
      })
    })
  }

  it('refuses a module named at run time, where the row does not allow it', async () => {
    const [found] = await messages(
      'src/main/cache/probe.ts',
      "const name = 'electron'\nawait import(name)",
      'boundaries/imports',
    )
    expect(found).toMatch(
      /computed module specifier cannot be checked against the boundaries of src\/main services/,
    )
  })

  it('refuses every file of a folder that has no row', async () => {
    const [found] = await messages('new-folder/probe.ts', 'export const x = 1', 'boundaries/imports')
    expect(found).toMatch(/in no row of the import boundaries/)
  })

  it('keeps browser-only and Node-only globals out of src/shared, as values and as types', async () => {
    const file = 'src/shared/probe.ts'
    for (const code of [
      'export const t = document.title',
      'export const w = window',
      'export const e = process.env',
    ]) {
      expect(await messages(file, code, 'no-restricted-globals'), code).toHaveLength(1)
    }
    for (const code of ['export type E = HTMLElement', 'export type B = Buffer']) {
      expect(await messages(file, code, '@typescript-eslint/no-restricted-types'), code).toHaveLength(1)
    }
    const anywhere =
      'export const u = () => [new URL("https://x.test"), setTimeout, console, fetch, TextEncoder]'
    expect(await messages(file, anywhere, 'no-restricted-globals')).toEqual([])
  })
})
