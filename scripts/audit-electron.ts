// `npm run audit:electron`: Doyensec's Electronegativity over the app's sources (main,
// preload and the renderer's HTML). Every finding must be fixed or justified in
// .electronegativity.json (check + file, with the reason); anything else fails the run.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { z } from 'zod'

const root = resolve(import.meta.dirname, '..')
const configSchema = z.object({
  accepted: z.array(z.object({ check: z.string(), file: z.string(), justification: z.string().min(20) })),
})
const config = configSchema.parse(JSON.parse(readFileSync(join(root, '.electronegativity.json'), 'utf8')))
const electronVersion = (JSON.parse(readFileSync(join(root, 'node_modules/electron/package.json'), 'utf8')) as { version: string }).version

/** One CSV line into fields, honouring double quotes. */
function fields(line: string): string[] {
  const out: string[] = []
  let current = ''
  let quoted = false
  for (let i = 0; i < line.length; i++) {
    const char = line[i]!
    if (quoted) {
      if (char === '"' && line[i + 1] === '"') {
        current += '"'
        i++
      } else if (char === '"') quoted = false
      else current += char
    } else if (char === '"') quoted = true
    else if (char === ',') {
      out.push(current.trim())
      current = ''
    } else current += char
  }
  out.push(current.trim())
  return out
}

const dir = mkdtempSync(join(tmpdir(), 'electronegativity-'))
try {
  const report = join(dir, 'report.csv')
  execFileSync(join(root, 'node_modules/.bin/electronegativity'), ['-i', join(root, 'src'), '-r', '-v', 'false', '-e', electronVersion, '-o', report], {
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  const findings = readFileSync(report, 'utf8')
    .split('\n')
    .slice(1)
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const [check = '', severity = '', confidence = '', file = '', location = ''] = fields(line)
      return { check, severity, confidence, file, location }
    })
  const isAccepted = (finding: { check: string; file: string }) =>
    config.accepted.some((entry) => entry.check === finding.check && entry.file === finding.file)
  const open = findings.filter((finding) => !isAccepted(finding))
  for (const finding of findings) {
    const entry = config.accepted.find((e) => e.check === finding.check && e.file === finding.file)
    console.log(`${entry ? 'justified' : 'OPEN     '} ${finding.check} ${finding.severity}/${finding.confidence} ${finding.file}:${finding.location}`)
  }
  for (const entry of config.accepted) {
    if (!findings.some((finding) => finding.check === entry.check && finding.file === entry.file)) {
      console.log(`stale justification (no longer found): ${entry.check} ${entry.file}`)
    }
  }
  console.log(`${findings.length} finding(s), ${open.length} without a justification.`)
  process.exitCode = open.length === 0 ? 0 : 1
} finally {
  rmSync(dir, { recursive: true, force: true })
}
