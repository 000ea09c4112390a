import { readFileSync } from 'node:fs'

/** A /proc/<pid>/status figure in MB (Linux): VmRSS is resident now, VmHWM the most it ever was. */
export function statusMb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kb = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)
  if (!kb) throw new Error(`process ${pid} reports no ${field}`)
  return Number(kb[1]) / 1024
}
