import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomUUID } from 'node:crypto'
import type { Conversation, Message } from '../../src/shared/domain.ts'

/** Rows and files for the cache's tests: two workspaces, rows with every column set. */

export const WS = '7c2e9b14-3f6a-4d81-9e05-b8a1c4d2f637'
export const WS2 = 'e41f0a9c-62d3-4b7e-a1c8-35f9d07b2e84'

const dirs: string[] = []
/** A cache path in a fresh temporary folder, removed by `removeTempPaths` (each test file's afterEach). */
export function tempPath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'cache-test-'))
  dirs.push(dir)
  return join(dir, 'cache.sqlite')
}
export function removeTempPaths(): void {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
}

export function conversation(over: Partial<Conversation> = {}): Conversation {
  return {
    id: randomUUID(),
    workspaceId: WS,
    phoneNumber: '+15551230000',
    name: null,
    email: null,
    status: 'Open',
    unreadCount: 0,
    lastMessageAt: null,
    lastMessagePreview: null,
    updatedAt: '2026-11-01T10:00:00.000000Z',
    assigneeId: null,
    ...over,
  }
}

export function message(contact: Conversation, over: Partial<Message> = {}): Message {
  return {
    id: randomUUID(),
    workspaceId: contact.workspaceId,
    contactId: contact.id,
    direction: 'inbound',
    content: 'hello',
    status: 'delivered',
    errorCode: null,
    errorMessage: null,
    createdAt: '2026-11-01T10:00:00.000000Z',
    updatedAt: '2026-11-01T10:00:00.000000Z',
    createdBy: null,
    workspaceNumber: null,
    ...over,
  }
}
