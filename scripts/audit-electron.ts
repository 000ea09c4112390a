// `npm run audit:electron`: the Electron fuses in electron-builder's configuration
// (every one set as scripts/electron-fuses.ts requires), then Doyensec's
// Electronegativity over the app's sources (main, preload and the renderer's HTML).
// Every finding must be fixed or justified in .electronegativity.json (check + file,
// with the reason); a fuse not set or anything else fails the run.
// `--config <file>` audits another electron-builder configuration file.
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { z } from 'zod'
import { fuseProblems, loadBuilderConfig, requiredFuses } from './electron-fuses.ts'

const root = resolve(import.meta.dirname, '..')
const { values: flags } = parseArgs({ options: { config: { type: 'string' } } })
const fuses = fuseProblems(await loadBuilderConfig(root, flags.config ?? null))
for (const problem of fuses) console.log(`OPEN      ${problem}`)
console.log(
  fuses.length === 0
    ? `fuses: all ${Object.keys(requiredFuses).length} set as required.`
    : `fuses: ${fuses.length} not set as required.`,
)

const configSchema = z.object({
  accepted: z.array(z.object({ check: z.string(), file: z.string(), justification: z.string().min(20) })),
})
const config = configSchema.parse(JSON.parse(readFileSync(join(root, '.electronegativity.json'), 'utf8')))
const electronVersion = (
  JSON.parse(readFileSync(join(root, 'node_modules/electron/package.json'), 'utf8')) as { version: string }
).version

interface Finding {
  file: string
  id: string
  location: { line: number; column: number }
  severity: { name: string }
  confidence: { name: string }
}
type Runner = (
  options: Record<string, unknown>,
  forCli: boolean,
) => Promise<{ errors: unknown[]; issues: Finding[] }>

// Electronegativity downloads translations (and, in one check, Electron's release
// list) with `got` on every run; offline, got's retry timer crashes the process at
// random. It runs in-process here with a `got` that fails at once, so it falls back
// to its bundled English texts deterministically.
const requireFromTool = createRequire(join(root, 'node_modules/@doyensec/electronegativity/dist/runner.js'))
const gotPath = requireFromTool.resolve('got')
const offlineGot = () => Promise.reject(new Error('offline: Electronegativity runs without network access'))
requireFromTool.cache[gotPath] = {
  id: gotPath,
  filename: gotPath,
  loaded: true,
  exports: offlineGot,
} as unknown as NodeJS.Module
const runElectronegativity = requireFromTool('./runner.js') as Runner

const originalLog = console.log
console.log = () => {} // the tool's own "could not retrieve translations" notice
const result = await runElectronegativity(
  {
    input: join(root, 'src'),
    isSarif: false,
    customScan: [],
    // Needs Electron's release list from the network; the pinned version is kept current in package.json.
    excludeFromScan: ['AvailableSecurityFixesGlobalCheck'],
    isRelative: true,
    isVerbose: false,
    electronVersionOverride: electronVersion,
    parserPlugins: [],
  },
  false,
).finally(() => {
  console.log = originalLog
})
if (result.errors.length > 0) {
  console.error('Electronegativity could not parse some files:', result.errors)
  process.exit(1)
}
const findings = result.issues.map((issue) => ({
  check: issue.id,
  severity: issue.severity.name,
  confidence: issue.confidence.name,
  file: issue.file,
  location: `${issue.location.line}:${issue.location.column}`,
}))
const isAccepted = (finding: { check: string; file: string }) =>
  config.accepted.some((entry) => entry.check === finding.check && entry.file === finding.file)
const open = findings.filter((finding) => !isAccepted(finding))
for (const finding of findings) {
  const entry = config.accepted.find((e) => e.check === finding.check && e.file === finding.file)
  console.log(
    `${entry ? 'justified' : 'OPEN     '} ${finding.check} ${finding.severity}/${finding.confidence} ${finding.file}:${finding.location}`,
  )
}
for (const entry of config.accepted) {
  if (!findings.some((finding) => finding.check === entry.check && finding.file === entry.file)) {
    console.log(`stale justification (no longer found): ${entry.check} ${entry.file}`)
  }
}
console.log(`${findings.length} finding(s), ${open.length} without a justification.`)
process.exitCode = open.length === 0 && fuses.length === 0 ? 0 : 1
