// V8's profile of a WebAssembly module (--experimental-wasm-pgo-from-file), as V8
// writes and reads it (src/wasm/pgo.cc): call-site feedback, then one byte per
// declared function, bit 0 "was executed", bit 1 "was tiered up". V8 compiles a
// function with bit 1 set with its optimizing compiler (TurboFan) in the background
// as soon as the module is compiled. Ours carry no feedback and mark only the
// functions to optimize. Also what a profile needs from the module: how many functions
// it imports and declares, and the names they are exported under.
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'

const executedBit = 1
const tieredUpBit = 2

class Reader {
  readonly bytes: Uint8Array
  offset: number
  constructor(bytes: Uint8Array, offset = 0) {
    this.bytes = bytes
    this.offset = offset
  }
  get done(): boolean {
    return this.offset >= this.bytes.length
  }
  byte(): number {
    if (this.done) throw new Error('truncated WebAssembly data')
    return this.bytes[this.offset++]!
  }
  unsigned(): number {
    let value = 0
    for (let shift = 0; ; shift += 7) {
      const byte = this.byte()
      value += (byte & 0x7f) * 2 ** shift
      if ((byte & 0x80) === 0) return value
    }
  }
  /** A signed LEB128; its value does not matter to us, only its length. */
  signed(): void {
    while (this.byte() & 0x80);
  }
  text(): string {
    const length = this.unsigned()
    const start = this.offset
    this.offset += length
    return new TextDecoder().decode(this.bytes.subarray(start, this.offset))
  }
}

export interface ModuleShape {
  imported: number
  /** The wire size of each declared function's body, by declared index. */
  bodySizes: number[]
  /** The names functions are exported under (Postgres exports most of its own), by function index. */
  names: Map<number, string>
}

/** The module's imported and declared functions and their names; `imported` comes from V8's own reading. */
export function moduleShape(wasm: Uint8Array, imported: number): ModuleShape {
  const reader = new Reader(wasm, 8)
  const bodySizes: number[] = []
  const names = new Map<number, string>()
  while (!reader.done) {
    const id = reader.byte()
    const size = reader.unsigned()
    const end = reader.offset + size
    if (id === 10) {
      const count = reader.unsigned()
      for (let i = 0; i < count; i++) {
        const bodySize = reader.unsigned()
        bodySizes.push(bodySize)
        reader.offset += bodySize
      }
    } else if (id === 7) {
      const count = reader.unsigned()
      for (let i = 0; i < count; i++) {
        const name = reader.text()
        const kind = reader.byte()
        const index = reader.unsigned()
        if (kind === 0) names.set(index, name)
      }
    }
    reader.offset = end
  }
  return { imported, bodySizes, names }
}

/** PGlite's Postgres, the module the backend runs, with its shape as V8 reads it. */
export async function pgliteModule(): Promise<{ wasm: Uint8Array; shape: ModuleShape }> {
  // The package exports no path to its module; it sits beside the entry point.
  const entry = createRequire(import.meta.url).resolve('@electric-sql/pglite')
  const wasm = readFileSync(join(dirname(entry), 'pglite.wasm'))
  const compiled = await WebAssembly.compile(wasm)
  const imported = WebAssembly.Module.imports(compiled).filter((entry) => entry.kind === 'function').length
  return { wasm, shape: moduleShape(wasm, imported) }
}

/** The functions a profile marks as tiered up, by function index; its length must match the module's. */
export function optimizedFunctions(profile: Uint8Array, shape: ModuleShape): number[] {
  const reader = new Reader(profile)
  const withFeedback = reader.unsigned()
  for (let i = 0; i < withFeedback; i++) {
    reader.unsigned()
    const callSites = reader.unsigned()
    for (let site = 0; site < callSites; site++) {
      const cases = reader.unsigned()
      for (let c = 0; c < cases; c++) {
        reader.signed()
        reader.signed()
      }
    }
    const targets = reader.unsigned()
    for (let t = 0; t < targets; t++) reader.unsigned()
  }
  const tiering = profile.subarray(reader.offset)
  if (tiering.length !== shape.bodySizes.length)
    throw new Error(
      `the profile covers ${tiering.length} functions, the module declares ${shape.bodySizes.length}`,
    )
  const optimized: number[] = []
  tiering.forEach((bits, declared) => {
    if (bits & tieredUpBit) optimized.push(declared + shape.imported)
  })
  return optimized
}

/** A profile with no feedback that has V8 optimize exactly `functions` (function indices). */
export function encodeProfile(shape: ModuleShape, functions: Iterable<number>): Uint8Array {
  const profile = new Uint8Array(1 + shape.bodySizes.length)
  // profile[0] = 0: no function carries call-site feedback.
  for (const index of functions) {
    const declared = index - shape.imported
    if (declared < 0 || declared >= shape.bodySizes.length) throw new Error(`no declared function ${index}`)
    profile[1 + declared] = executedBit | tieredUpBit
  }
  return profile
}

const compiledLine =
  /^Compiled function (0x[0-9a-f]+)#(\d+) using TurboFan, took \d+ ms and (\d+) \/ \d+ max\/total bytes; bodysize (\d+)/

/**
 * The module's functions V8 compiled with TurboFan, with each compilation's peak
 * memory, from --trace-wasm-compilation-times output. Lines name modules by address,
 * and a process may compile the same module more than once (a database opened, closed,
 * opened again): this module's are the addresses whose every function matches its shape.
 */
export function optimizingCompilations(trace: string[], shape: ModuleShape): Map<number, number> {
  const byModule = new Map<string, Map<number, number>>()
  const mismatched = new Set<string>()
  for (const line of trace) {
    const match = compiledLine.exec(line)
    if (!match) continue
    const [, module, index, bytes, bodySize] = match as unknown as [string, string, string, string, string]
    if (shape.bodySizes[Number(index) - shape.imported] !== Number(bodySize)) mismatched.add(module)
    const functions = byModule.get(module) ?? new Map<number, number>()
    functions.set(Number(index), Math.max(functions.get(Number(index)) ?? 0, Number(bytes)))
    byModule.set(module, functions)
  }
  const ours = new Map<number, number>()
  for (const [module, functions] of byModule) {
    if (mismatched.has(module)) continue
    for (const [index, bytes] of functions) ours.set(index, Math.max(ours.get(index) ?? 0, bytes))
  }
  return ours
}
