// The memory of the whole app as an agent runs it: `npm run web` started as a
// person starts it, and the resident set (RSS, from /proc) of every process it
// starts, at rest after start-up and at rest after a first sync of the scale's
// conversations through the page's own API. Under `npm run web` the relay and the
// Twilio double live in the embedded backend's child and the page server in the
// main process, so those two processes are the whole app. Floor: a bare Node
// process, measured in the same run.
import { execFileSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openDatabase } from '../local-backend/db/database.ts'
import { demoIds } from '../local-backend/db/demo-callers.ts'
import { connectShellClient, exchangeLaunchToken } from '../test/support/shell-client.ts'
import {
  peakRss,
  rssAtRest,
  startWeb,
  stopWeb,
  webCommand,
  wholeApp,
  wholeAppPss,
  type AppRss,
} from '../test/support/web-app.ts'
import { DEMO_PASSWORD } from '../relay/demo-accounts.ts'
import { atScale, seedSizes, type Scale } from './scale.ts'
import type { BenchRow } from './types.ts'
import { addVolume } from './volume.ts'

const SYNC_TIMEOUT_MS = 300_000

/** RSS of a Node process that loads nothing: what any process of the app costs before its code. */
function bareNodeRss(): number {
  return (
    Number(
      execFileSync(
        webCommand().node,
        [
          '-e',
          "setTimeout(() => process.stdout.write(/^VmRSS:\\s+(\\d+)/m.exec(require('fs').readFileSync('/proc/self/status', 'utf8'))[1]), 500)",
        ],
        { encoding: 'utf8' },
      ),
    ) / 1024
  )
}

export async function run(scale: Scale): Promise<BenchRow[]> {
  const { conversations } = atScale(seedSizes.cache, scale)
  const userData = mkdtempSync(join(tmpdir(), 'memory-bench-'))
  let web: ChildProcess | undefined
  try {
    // The backend's data as a later launch finds it: seeded, and Acme with the scale's conversations.
    const db = await openDatabase({ dataDir: join(userData, 'embedded-backend'), seed: true })
    const { acme } = await demoIds(db)
    await addVolume(db, acme, { contacts: conversations, messages: conversations * 2 })
    await db.close()
    // A later launch, as every one after an install or update is: the first compiles
    // (Node's compile cache, PGlite's snapshot) what the later ones read.
    await stopWeb((await startWeb(userData)).child)

    const started = await startWeb(userData)
    web = started.child
    const idle = { rss: await rssAtRest(web.pid!), pss: wholeAppPss(web.pid!) }

    const client = await connectShellClient(
      new URL(started.url).origin,
      await exchangeLaunchToken(started.url),
    )
    const syncStarted = performance.now()
    await client.value('session.signIn', { email: 'ben@acme.test', password: DEMO_PASSWORD })
    // A sync that does not finish in time leaves the figures at rest after start standing.
    const live = await client
      .waitForEvent(
        'connection.changed',
        (state) => state.status === 'live' && state.lastSyncAt !== null,
        'the first sync',
        { ms: SYNC_TIMEOUT_MS },
      )
      .then(
        () => true,
        () => false,
      )
    const syncSeconds = (performance.now() - syncStarted) / 1000
    if (live) {
      const { counts } = await client.value('conversations.list', {
        workspaceId: acme,
        filter: 'All',
        limit: 1,
      })
      if (counts.All < conversations)
        throw new Error(`the cache holds ${counts.All} of Acme's ${conversations} conversations`)
    }
    const afterSync = live ? { rss: await rssAtRest(web.pid!), pss: wholeAppPss(web.pid!) } : null
    const peak = peakRss(web.pid!)
    client.close()

    const floor = { name: 'bare Node process', value: bareNodeRss() }
    const rows = (state: string, { rss, pss }: { rss: AppRss; pss: number }): BenchRow[] => {
      const whole = wholeApp(rss)
      return [
        { name: `${state}: main process (services, cache, page server)`, value: rss.main, unit: 'MB', floor },
        {
          name: `${state}: embedded backend child (PGlite, Auth/REST/Realtime, relay, Twilio double)`,
          value: rss.backend,
          unit: 'MB',
          floor,
        },
        ...(rss.others > 0 ? [{ name: `${state}: other children`, value: rss.others, unit: 'MB' }] : []),
        {
          name: `${state}: whole app, every process`,
          value: whole,
          unit: 'MB',
          target: '< 300 MB',
          meetsTarget: whole < 300,
        },
        { name: `${state}: whole app, shared pages counted once (PSS)`, value: pss, unit: 'MB' },
      ]
    }
    return [
      ...rows('RSS at rest after start', idle),
      ...(afterSync ? rows('RSS at rest after the first sync', afterSync) : []),
      // The backend's V8 flags exist for this figure: its optimizing compiler took the child to 730 MB.
      { name: 'peak RSS from start through the first sync: main process', value: peak.main, unit: 'MB' },
      {
        name: 'peak RSS from start through the first sync: embedded backend child',
        value: peak.backend,
        unit: 'MB',
      },
      {
        name: 'first sync of the conversations (sign-in → live)',
        value: syncSeconds,
        unit: 's',
        target: `finishes within ${SYNC_TIMEOUT_MS / 1000} s`,
        meetsTarget: live,
      },
    ]
  } finally {
    if (web) await stopWeb(web)
    rmSync(userData, { recursive: true, force: true })
  }
}
