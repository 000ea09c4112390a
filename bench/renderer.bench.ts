/// <reference lib="dom" />
// The renderer in Chromium against the real browser shell (main-process services,
// local backend, relay, Twilio double): first render of 10,000 conversations
// (100,000 at 10×), scroll frames, opening a 5,000-message thread (50,000) and scrolling up through all
// of it a page at a time, rows re-rendered per inbound SMS,
// JS heap, and the shell's API round trip beside a bare loopback WebSocket echo.
import type { AddressInfo } from 'node:net'
import { chromium } from 'playwright-core'
import WebSocket, { WebSocketServer } from 'ws'
import { chromiumLaunchOptions } from '../playwright.config.ts'
import { DEMO_PASSWORD, startStack } from '../e2e/support/stack.ts'
import {
  sessionReplySchema,
  shellPaths,
  shellProtocol,
  tabSecretProtocolPrefix,
} from '../src/shared/browser-shell-protocol.ts'
import { writeLongThread } from './long-thread.ts'
import { atScale, seedSizes, type Scale } from './scale.ts'
import { percentile, type BenchRow } from './types.ts'

const ROUND_TRIPS = 300
/** How long the scroll through the long thread may take before it reports how far it got. */
const THREAD_SCROLL_LIMIT_MS = 180_000

type Window = { __inboxRowRenders?: number; __firstRows?: number; __allPaged?: number }

async function roundTrips(
  url: string,
  /** The shell tab to speak as; null for a plain socket. */
  tab: { origin: string; secret: string } | null,
  frame: (id: number) => string,
  count = ROUND_TRIPS,
): Promise<number[]> {
  const socket = tab
    ? new WebSocket(url, [shellProtocol, `${tabSecretProtocolPrefix}${tab.secret}`], {
        headers: { Origin: tab.origin },
      })
    : new WebSocket(url)
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve())
    socket.once('error', reject)
  })
  const samples: number[] = []
  for (let id = 1; id <= count; id += 1) {
    const started = performance.now()
    await new Promise<void>((resolve) => {
      socket.once('message', () => resolve())
      socket.send(frame(id))
    })
    samples.push(performance.now() - started)
  }
  socket.close()
  return samples
}

export async function run(scale: Scale): Promise<BenchRow[]> {
  const { conversations } = atScale(seedSizes.cache, scale)
  const thread = atScale(seedSizes.thread, scale)
  let threadContact = ''
  let movingContact = { id: '', phone: '' }
  const stack = await startStack({
    prepare: async (backend, demo) => {
      await backend.db.query(
        `insert into public.contacts (workspace_id, phone_number, name, conversation_status, last_message_at, last_message_preview, unread_count)
         select $1, '+1555' || lpad(i::text, 7, '0'), 'Customer ' || i, 'Open', now() - make_interval(mins => 10 + i), 'Question number ' || i, i % 3
           from generate_series(1, $2::int) as i`,
        [demo.acme, conversations],
      )
      const long = await backend.db.query<{ id: string }>(
        `insert into public.contacts (workspace_id, phone_number, name) values ($1, '+15559990000', 'Long Thread') returning id`,
        [demo.acme],
      )
      threadContact = long.rows[0]!.id
      await writeLongThread(backend.db, {
        workspaceId: demo.acme,
        contactId: threadContact,
        count: thread.messages,
        columns: {
          content: `'Message ' || i || ' of a long conversation, long enough to wrap onto a second line in the thread view.'`,
          direction: `case when i % 2 = 0 then 'outbound' else 'inbound' end`,
          createdAt: `now() - make_interval(mins => $3::int - i)`,
        },
      })
      const moving = await backend.db.query<{ id: string; phone_number: string }>(
        `select id, phone_number from public.contacts where workspace_id = $1 and name = 'Customer 5'`,
        [demo.acme],
      )
      movingContact = { id: moving.rows[0]!.id, phone: moving.rows[0]!.phone_number }
    },
  })
  const browser = await chromium.launch({
    ...chromiumLaunchOptions,
    // Unthrottled frames: a frame's interval is then the work it took, not the display's refresh.
    args: [...chromiumLaunchOptions.args, '--disable-gpu-vsync', '--disable-frame-rate-limit'],
  })
  const rows: BenchRow[] = []
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } })
    const page = await context.newPage()
    await page.goto(stack.shell.url)
    await page.getByLabel('Email').fill('ben@acme.test')
    await page.getByLabel('Password').fill(DEMO_PASSWORD)
    await page.getByRole('button', { name: 'Sign in', exact: true }).click()
    // The first sync runs in this very process (backend, core, shell), so give it its time before measuring.
    await page.getByTestId('filter-All').filter({ hasText: /\d{5}/ }).waitFor({ timeout: 300_000 })
    await page.getByTestId('connection-status').filter({ hasText: 'Live' }).waitFor({ timeout: 300_000 })
    await page.getByTestId('filter-All').click()

    // First render: a fresh page load with the cache warm, until rows are on screen.
    await context.addInitScript(() => {
      const marker = window as Window
      marker.__inboxRowRenders = 0
      new MutationObserver((_, observer) => {
        if (
          marker.__firstRows === undefined &&
          document.querySelectorAll('[data-testid="conversation-row"]').length > 10
        )
          marker.__firstRows = performance.now()
        if (
          marker.__firstRows !== undefined &&
          document.querySelector('[aria-label="Conversations"][aria-busy="false"]')
        ) {
          marker.__allPaged = performance.now()
          observer.disconnect()
        }
      }).observe(document, {
        subtree: true,
        childList: true,
        attributes: true,
        attributeFilter: ['aria-busy'],
      })
    })
    await page.reload()
    await page.waitForFunction(() => (window as Window).__firstRows !== undefined)
    await page.getByTestId('filter-All').click()
    await page.getByTestId('filter-All').filter({ hasText: /\d{5}/ }).waitFor()
    const firstRender = await page.evaluate(() => (window as Window).__firstRows!)
    rows.push({
      name: 'first render of the inbox (page load → rows)',
      value: firstRender,
      unit: 'ms',
      target: '< 500 ms',
      meetsTarget: firstRender < 500,
    })

    // Scrolling at once, while the list pages in behind its first page, and again once every page is in.
    const listbox = page.getByRole('listbox', { name: 'Conversations' })
    const scrollFrames = () =>
      listbox.evaluate(
        (list) =>
          new Promise<number[]>((resolve) => {
            const deltas: number[] = []
            let last = performance.now()
            let count = 0
            const step = (now: number) => {
              deltas.push(now - last)
              last = now
              list.scrollTop += 137
              count += 1
              if (count < 400) requestAnimationFrame(step)
              else resolve(deltas.slice(5))
            }
            requestAnimationFrame(step)
          }),
      )
    const whileLoading = await scrollFrames()
    await page.waitForFunction(() => (window as Window).__allPaged !== undefined, null, { timeout: 120_000 })
    const paged = await page.evaluate(() => (window as Window).__allPaged! - (window as Window).__firstRows!)
    rows.push({ name: 'every page of the inbox in (first rows → last page shown)', value: paged, unit: 'ms' })
    await listbox.evaluate((list) => list.scrollTo({ top: 0 }))
    const loaded = await scrollFrames()
    for (const [name, frames] of [
      ['scroll frame time p95 right after a reload, as the list pages in (400 frames)', whileLoading],
      ['scroll frame time p95 with every conversation loaded (400 frames)', loaded],
    ] as const) {
      const p95 = percentile(frames, 95)
      rows.push({ name, value: p95, unit: 'ms', target: '≤ 16.7 ms', meetsTarget: p95 <= 16.7 })
    }

    await page.getByRole('searchbox', { name: 'Search conversations' }).fill('Long Thread')
    await page.getByTestId('search-hit').first().waitFor()
    const opened = await page.evaluate(
      (id) =>
        new Promise<number>((resolve) => {
          const hit = document.getElementById(`hit-${id}`)!
          const started = performance.now()
          new MutationObserver((_, observer) => {
            if (document.querySelector('[role="log"] [data-testid="message"]')) {
              observer.disconnect()
              requestAnimationFrame(() => resolve(performance.now() - started))
            }
          }).observe(document.body, { subtree: true, childList: true })
          hit.click()
        }),
      threadContact,
    )
    rows.push({
      name: 'open the long thread (click → bubbles painted)',
      value: opened,
      unit: 'ms',
      target: '< 150 ms',
      meetsTarget: opened < 150,
    })

    await page.getByRole('searchbox', { name: 'Search conversations' }).fill('')
    await page.getByTestId('conversation-row').first().waitFor()

    await page.evaluate(() => {
      ;(window as Window).__inboxRowRenders = 0
    })
    await stack.inbound(movingContact.phone, 'Bench: one inbound message')
    await page
      .locator(`[data-testid="conversation-row"][data-id="${movingContact.id}"]`)
      .filter({ hasText: 'Bench: one inbound message' })
      .waitFor()
    await page.waitForTimeout(300)
    const rendered = await page.evaluate(() => (window as Window).__inboxRowRenders!)
    rows.push({
      name: 'rows re-rendered by one inbound message',
      value: rendered,
      unit: 'rows',
      target: 'only the affected row',
    })

    const cdp = await context.newCDPSession(page)
    await cdp.send('HeapProfiler.collectGarbage')
    await cdp.send('Performance.enable')
    const { metrics } = await cdp.send('Performance.getMetrics')
    const heap = (metrics.find((metric) => metric.name === 'JSHeapUsedSize')?.value ?? 0) / 1024 / 1024
    rows.push({
      name: 'JS heap with every conversation loaded',
      value: heap,
      unit: 'MB',
      target: '< 80 MB',
      meetsTarget: heap < 80,
    })

    // The exchange the page at a launch link makes, for a tab secret of the bench's own.
    const exchange = await fetch(`${stack.shell.origin}${shellPaths.session}`, {
      method: 'POST',
      headers: { origin: stack.shell.origin, 'content-type': 'application/json' },
      body: JSON.stringify({ token: new URL(stack.shell.url).searchParams.get('token') }),
    })
    const { value } = (await exchange.json()) as { value: unknown }
    const tab = { origin: stack.shell.origin, secret: sessionReplySchema.parse(value).secret }
    const shellSamples = await roundTrips(`ws://127.0.0.1:${stack.shell.port}/api`, tab, (id) =>
      JSON.stringify({ type: 'request', id, channel: 'connection.get', payload: {} }),
    )
    // Context for the first render: the first page it waits for, beside one reply carrying every conversation.
    const list = (payload: object, count: number) =>
      roundTrips(
        `ws://127.0.0.1:${stack.shell.port}/api`,
        tab,
        (id) =>
          JSON.stringify({
            type: 'request',
            id,
            channel: 'conversations.list',
            payload: { workspaceId: stack.demo.acme, filter: 'All', ...payload },
          }),
        count,
      )
    const firstPageSamples = await list({ limit: 100 }, 50)
    rows.push({
      name: 'conversations.list first page (100) through the shell, p50',
      value: percentile(firstPageSamples, 50),
      unit: 'ms',
    })
    const listSamples = await list({}, 5)
    rows.push({
      name: 'conversations.list of every conversation through the shell, p50',
      value: percentile(listSamples, 50),
      unit: 'ms',
    })
    const echo = new WebSocketServer({ host: '127.0.0.1', port: 0 })
    echo.on('connection', (socket) => socket.on('message', (data) => socket.send(data.toString())))
    await new Promise<void>((resolve) => echo.once('listening', () => resolve()))
    const echoSamples = await roundTrips(
      `ws://127.0.0.1:${(echo.address() as AddressInfo).port}`,
      null,
      (id) => JSON.stringify({ type: 'request', id, channel: 'connection.get', payload: {} }),
    )
    echo.close()
    rows.push({
      name: 'browser-shell API round trip (connection.get) p50',
      value: percentile(shellSamples, 50),
      unit: 'ms',
    })
    rows.push({ name: 'browser-shell API round trip p95', value: percentile(shellSamples, 95), unit: 'ms' })
    rows.push({ name: 'bare loopback WebSocket echo p50', value: percentile(echoSamples, 50), unit: 'ms' })
    // Scrolling up through the whole thread, as an agent reading its history does:
    // each time the view reaches the top, the next older page loads and is painted.
    // Last, so the figures above do not carry its tens of thousands of messages.
    await page.getByRole('searchbox', { name: 'Search conversations' }).fill('Long Thread')
    await page.locator(`#hit-${threadContact}`).click()
    await page.locator('[role="log"] [data-testid="message"]').first().waitFor()
    const history = await page.getByRole('log', { name: 'Messages' }).evaluate(
      (log, limitMs) =>
        new Promise<{ pages: number[]; loaded: number }>((resolve) => {
          // The thread is a virtual list: the log says how many messages it holds, the page holds only what is on screen.
          const loaded = () => Number(log.getAttribute('data-loaded'))
          const hasOlder = () => log.getAttribute('data-has-older') === 'true'
          const pages: number[] = []
          let observer: MutationObserver | undefined
          let finished = false
          const finish = () => {
            finished = true
            observer?.disconnect()
            clearTimeout(limit)
            resolve({ pages, loaded: loaded() })
          }
          // A page that never arrives ends the scroll too: the rows then say how far it got.
          const limit = setTimeout(finish, limitMs)
          const nextPage = () => {
            if (finished) return
            if (!hasOlder()) return finish()
            const before = loaded()
            const requested = performance.now()
            observer = new MutationObserver(() => {
              if (loaded() === before && hasOlder()) return
              observer?.disconnect()
              requestAnimationFrame(() => {
                pages.push(performance.now() - requested)
                nextPage()
              })
            })
            observer.observe(log, { attributes: true, attributeFilter: ['data-loaded', 'data-has-older'] })
            // As an agent keeps scrolling up: each frame until the page arrives, back to the top,
            // since the list may still be settling the rows of the page before (measuring them moves the view).
            const pull = () => {
              if (finished || loaded() !== before) return
              if (log.scrollTop > 0) log.scrollTop = 0
              requestAnimationFrame(pull)
            }
            pull()
          }
          nextPage()
        }),
      THREAD_SCROLL_LIMIT_MS,
    )
    const pageP95 = percentile(history.pages, 95)
    rows.push({
      name: `scroll up through the long thread: messages reached (of ${thread.messages})`,
      value: history.loaded,
      unit: 'messages',
      target: `all, within ${THREAD_SCROLL_LIMIT_MS / 1000} s`,
      meetsTarget: history.loaded === thread.messages,
    })
    rows.push({
      name: `scroll up through the long thread: older page (top reached → page painted) p50 (${history.pages.length} pages)`,
      value: percentile(history.pages, 50),
      unit: 'ms',
    })
    rows.push({
      name: 'scroll up through the long thread: older page p95',
      value: pageP95,
      unit: 'ms',
      target: '< 150 ms',
      meetsTarget: pageP95 < 150,
    })
    rows.push({
      name: 'scroll up through the long thread: the last (oldest) page',
      value: history.pages[history.pages.length - 1] ?? 0,
      unit: 'ms',
    })
    await context.close()
  } finally {
    await browser.close()
    await stack.close()
  }
  return rows
}
