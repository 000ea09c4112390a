import { describe, expect, it } from 'vitest'
import type { LifecycleEvent } from '../src/shared/log.ts'
import { createLogger } from './logger.ts'
import { createTerminalReporter } from './terminal.ts'

function terminal() {
  const printed: string[] = []
  return {
    printed,
    logger: createLogger(
      'host',
      createTerminalReporter((line) => printed.push(line)),
    ),
  }
}

describe('the terminal reporter', () => {
  it('prints the backend’s life and errors as human lines, and nothing of the rest', () => {
    const { printed, logger } = terminal()
    const backend = logger.child({ process: 'embedded-stack' })
    const lifecycle = (event: LifecycleEvent) => ({ lifecycle: event })
    logger.info('starting the embedded stack', lifecycle('backend.starting'))
    backend.debug('request', { method: 'GET', path: '/rest/v1/contacts', status: 200 })
    backend.info('embedded stack ready', { url: 'http://127.0.0.1:54321' })
    logger.info('embedded stack ready', { ...lifecycle('backend.ready'), url: 'http://127.0.0.1:54321' })
    logger.warn('workspaces could not be loaded; using the cached list', { kind: 'offline' })
    logger.error('embedded stack exited', { ...lifecycle('backend.crashed'), code: 1 })
    logger.warn('the embedded server stopped; restarting it', { restarts: 1 })
    logger.info('starting the embedded stack', lifecycle('backend.starting'))
    logger.info('embedded stack ready', { ...lifecycle('backend.ready'), url: 'http://127.0.0.1:54400' })
    logger.error('core dispatch threw', { channel: 'send', error: new Error('database is closed') })
    backend.error('request failed', { body: 'Your order shipped today.' })
    logger.error('listen failed', { code: 'EADDRINUSE', error: 'port taken' })
    logger.info('relay listening', { ...lifecycle('relay.listening'), url: 'http://127.0.0.1:8787' })

    expect(printed).toEqual([
      'Starting the embedded backend…',
      'The embedded backend is ready at http://127.0.0.1:54321.',
      'The embedded backend stopped unexpectedly (exit code 1).',
      'Restarting the embedded backend…',
      'The embedded backend is running again at http://127.0.0.1:54400.',
      'Error: core dispatch threw: database is closed',
      'Error: request failed',
      'Error: listen failed',
      'The relay is listening on http://127.0.0.1:8787.',
    ])
  })

  it('ignores what is not a log record', () => {
    const printed: string[] = []
    const reporter = createTerminalReporter((line) => printed.push(line))
    reporter.write('not json\n')
    reporter.write('{"level":"error"}\n')
    reporter.write('{"level":"info","msg":"x","lifecycle":"toString"}\n')
    expect(printed).toEqual([])
  })
})
