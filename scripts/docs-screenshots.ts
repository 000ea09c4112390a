// `npm run docs:screenshots`: regenerates the README's screenshots in docs/screenshots
// by running the screens spec (axe in both themes included) with its output pointed
// there. `npm test` runs the same spec but keeps its pictures in test-results/.
import { spawnSync } from 'node:child_process'
import { resolve } from 'node:path'

const root = resolve(import.meta.dirname, '..')
const run = (command: string, args: string[], env: NodeJS.ProcessEnv = process.env) => {
  const result = spawnSync(command, args, {
    cwd: root,
    stdio: 'inherit',
    env,
    shell: process.platform === 'win32',
  })
  if (result.status !== 0) process.exit(result.status ?? 1)
}

run('npx', ['electron-vite', 'build'])
run('npx', ['playwright', 'test', 'e2e/screens.spec.ts'], {
  ...process.env,
  SCREENSHOTS_DIR: 'docs/screenshots',
})
console.log('Screenshots written to docs/screenshots; look at them before committing.')
