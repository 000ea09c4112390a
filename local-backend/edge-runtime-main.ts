/**
 * Runs under Deno, as the edge runtime's main worker does for `supabase functions
 * serve`: it loads one function's index.ts and answers, on a loopback port of its own,
 * whatever that function hands to Deno.serve, whatever options the function passes
 * (the platform, too, decides where a function listens). The port goes to the parent
 * as one JSON line on stdout. It ends when its parent closes stdin, so a killed
 * stack leaves no Deno behind.
 */
import { LISTENING } from './edge-runtime-protocol.ts'

type Handler = (request: Request, info: unknown) => Response | Promise<Response>
type ServeOptions = { handler?: Handler }

declare const Deno: {
  args: string[]
  stdin: { readable: ReadableStream<Uint8Array> }
  exit(code: number): never
  serve(options: ServeOptions & Record<string, unknown>, handler?: Handler): unknown
}

const [entry] = Deno.args
const serve = Deno.serve.bind(Deno)
Deno.serve = (first: ServeOptions | Handler, second?: Handler) => {
  const handler = typeof first === 'function' ? first : (second ?? first.handler)
  if (!handler) throw new Error('Deno.serve was called without a handler')
  return serve({
    hostname: '127.0.0.1',
    port: 0,
    handler,
    onListen: ({ port }: { port: number }) =>
      console.log(JSON.stringify({ level: 'info', msg: LISTENING, port })),
  })
}
// The parent holds stdin open while it lives: when it is gone, however it went, so is this.
void (async () => {
  for await (const _ of Deno.stdin.readable);
  Deno.exit(0)
})()
if (entry === undefined) throw new Error('usage: edge-runtime-main.ts <function index.ts URL>')
await import(entry)
