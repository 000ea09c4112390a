import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, type Browser, type BrowserContext, type Page } from '@playwright/test'
import { startLocalBackend, type LocalBackend } from '../../local-backend/index.ts'
import { demoIds, type DemoIds } from '../../local-backend/db/demo-callers.ts'
import type { TwilioDouble } from '../../local-backend/twilio/double.ts'
import { mountRelay } from '../../relay/embedded.ts'
import type { BrowserShell } from '../../src/main/browser-shell/launch.ts'
import { recordNotifications, rowNamed, signIn } from './page.ts'
import type { ACME } from './stack.ts'
import { capturingLogger, launchAppShell, startDemoTwilioDouble, textWorkspace } from './stack.ts'

/** One agent at work: their own app main process (the browser shell's host) and their own browser context. */
export interface Agent {
  email: string
  shell: BrowserShell
  context: BrowserContext
  page: Page
  /**
   * What the app tells this agent's page, held back while `hold()` lasts and then
   * delivered in order: the agent's screen lags behind, as a slow link makes it, while
   * what the page asks still reaches the app at once.
   */
  screen: ScreenLag
}

export interface ScreenLag {
  hold(): void
  /** Resolves once a held-back frame matches, without delivering it. */
  waitForHeld(match: (frame: string) => boolean, what: string): Promise<void>
  release(): void
  /** The frames held back so far, in order: what the app told the page while its screen lagged. */
  held(): string[]
}

/** Interposes on the page's WebSocket to its app (the browser shell's only socket). */
async function lagScreen(context: BrowserContext): Promise<ScreenLag> {
  let holding = false
  const held: { deliver(): void; frame: string }[] = []
  let heard: (() => void)[] = []
  await context.routeWebSocket(/.*/, (page) => {
    const app = page.connectToServer()
    page.onMessage((frame) => app.send(frame))
    app.onMessage((frame) => {
      if (!holding) return page.send(frame)
      held.push({ frame: String(frame), deliver: () => page.send(frame) })
      for (const wake of heard.splice(0)) wake()
    })
  })
  return {
    hold() {
      holding = true
    },
    waitForHeld(match, what) {
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${what} never came for the page`)), 20_000)
        const check = () => {
          if (!held.some((entry) => match(entry.frame))) return void heard.push(check)
          clearTimeout(timer)
          resolve()
        }
        check()
      })
    },
    held: () => held.map((entry) => entry.frame),
    release() {
      holding = false
      for (const entry of held.splice(0)) entry.deliver()
      heard = []
    },
  }
}

/**
 * Two agents of one workspace (Ava, the owner, and Ben, an agent of Acme Support) on one
 * embedded backend, Twilio double and relay. Each agent has a separate app main process
 * with its own user-data folder (cache, session, outbox) and a separate browser context,
 * as two people at two desks. Both are signed in and see the inbox.
 */
export interface TwoAgents {
  backend: LocalBackend
  demo: DemoIds
  double: TwilioDouble
  relayUrl: string
  ava: Agent
  ben: Agent
  logs: string[]
  /** A customer texts a workspace (Acme unless told). */
  inbound(from: string, body: string, workspace?: typeof ACME): Promise<void>
  close(): Promise<void>
}

export async function startTwoAgents(browser: Browser): Promise<TwoAgents> {
  const dir = mkdtempSync(join(tmpdir(), 'sms-inbox-e2e-team-'))
  const logs: string[] = []
  const logger = capturingLogger(logs)
  const backend = await startLocalBackend({ port: 0, dataDir: join(dir, 'backend'), seed: true, logger })
  const demo = await demoIds(backend.db)
  const double = await startDemoTwilioDouble(logger)
  const { relayUrl } = mountRelay(backend, { twilioApiBaseUrl: double.url, logger })
  const agents: Agent[] = []

  const startAgent = async (email: string): Promise<Agent> => {
    const shell = await launchAppShell({
      supabaseUrl: backend.url,
      publishableKey: backend.publishableKey,
      relayUrl,
      userDataDir: join(dir, email),
      logger,
      port: 0,
    })
    const context = await browser.newContext()
    const screen = await lagScreen(context)
    // What the app shows this agent as desktop notifications, for `notifications(page)`.
    await context.addInitScript(recordNotifications)
    const agent = { email, shell, context, page: await context.newPage(), screen }
    agents.push(agent)
    await signIn(agent.page, shell.url, email)
    return agent
  }

  const close = async () => {
    for (const agent of agents) {
      await agent.context.close()
      await agent.shell.close()
    }
    await double.stop()
    await backend.stop()
    rmSync(dir, { recursive: true, force: true })
  }

  try {
    const [ava, ben] = await Promise.all([startAgent('ava@acme.test'), startAgent('ben@acme.test')])
    return {
      backend,
      demo,
      double,
      relayUrl,
      ava,
      ben,
      logs,
      inbound: (from, body, workspace) => textWorkspace(double, relayUrl, from, body, workspace),
      close,
    }
  } catch (error) {
    await close()
    throw error
  }
}

/**
 * Both agents open the conversation `name`; Ava replies while Ben's screen lags behind,
 * so he answers blind. Resolves once the app has held his reply back, his screen still
 * lagging: the caller releases it.
 */
export async function answerBlind(team: TwoAgents, name: string, avaText: string, benText: string) {
  const { ava, ben } = team
  for (const agent of [ava, ben]) {
    await expect(agent.page.getByTestId('connection-status')).toHaveText('Live', { timeout: 30_000 })
    await rowNamed(agent.page, name).click()
    await expect(
      agent.page.getByRole('log', { name: 'Messages' }).getByTestId('message').first(),
    ).toBeVisible()
  }
  ben.screen.hold()
  const avaComposer = ava.page.getByRole('textbox', { name: /Reply to/ })
  await avaComposer.fill(avaText)
  await avaComposer.press('Enter')
  await expect(ava.page.getByTestId('message').filter({ hasText: avaText })).toHaveAttribute(
    'data-status',
    'delivered',
  )
  const benComposer = ben.page.getByRole('textbox', { name: /Reply to/ })
  await benComposer.fill(benText)
  await benComposer.press('Enter')
  await ben.screen.waitForHeld((frame) => frame.includes('messages.held'), 'the held reply')
}
