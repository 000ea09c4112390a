import { execFileSync } from 'node:child_process'

/** This test process's children running the embedded stack (Linux `ps`); a killed one stays listed until reaped. */
export function embeddedChildren(): number[] {
  const listing = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(process.pid)], {
    encoding: 'utf8',
  })
  return listing
    .split('\n')
    .filter((line) => line.includes('embedded-stack'))
    .map((line) => Number.parseInt(line.trim(), 10))
}

/** The one embedded child running now; a test that finds none or several is wrong about the app's state. */
export function theEmbeddedChild(): number {
  const pids = embeddedChildren()
  if (pids.length !== 1) throw new Error(`expected one embedded child, found ${pids.length}`)
  return pids[0]!
}
