// Loaded with `node --import` by `npm run web`, after compile-cache.mjs and before the
// entry: on Linux the process starts itself again, in place (same process id, same
// arguments), with glibc's allocator told to hand freed memory back
// (src/main/core/glibc-malloc.ts), which glibc reads only at a process's start. The
// re-run pays Node's own start once more (30-50 ms) and nothing else, as no module of
// the app has loaded yet. One the person set wins, and it stops a second re-run.
import { glibcMallocTunables } from '../src/main/core/glibc-malloc.ts'

if (process.platform === 'linux' && process.env.GLIBC_TUNABLES === undefined) {
  process.execve?.(process.execPath, [process.execPath, ...process.execArgv, ...process.argv.slice(1)], {
    ...process.env,
    GLIBC_TUNABLES: glibcMallocTunables,
  })
}
