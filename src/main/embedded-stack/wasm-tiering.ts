import { existsSync } from 'node:fs'
import { resolve } from 'node:path'

/**
 * How V8 compiles the backend's Postgres (PGlite, 10 MB of WebAssembly). By default
 * it compiles each function first with its baseline compiler (Liftoff), then
 * recompiles the ones that get hot with its optimizing compiler (TurboFan), which makes
 * the inbox's SQL about 1.5x as fast. But one hot function is Postgres' grammar
 * (raw_parser), and TurboFan takes 600 MB to compile it: the process peaked at 730 MB
 * and settled 35 MB higher, and no V8 flag leaves one function out of dynamic tier-up.
 *
 * So V8 does not choose: a profile (resources/wasm-profile, written by
 * `npm run wasm-profile`) names the functions V8 found hot in the backend's daily work,
 * less any whose compilation took over 64 MB, and V8 compiles exactly those with
 * TurboFan, on one background thread, as soon as the module is compiled. The tier-up
 * filter names a function index no function has, which turns dynamic tier-up off for
 * every other function. V8 reads the profile from its working directory, under the
 * name it gives the module's bytes; without it (a changed PGlite, a missing file) the
 * backend runs on baseline code alone, as before the profile, only slower.
 *
 * The other two: a 1 MB young generation instead of 16 (the backend's JS allocates
 * little and briefly, a request's JSON, so collecting it more often costs nothing
 * visible), and one compilation thread, so two optimizing compilations never peak at once.
 */
export const backendV8Flags = [
  '--experimental-wasm-pgo-from-file',
  `--wasm-tier-up-filter=${2 ** 31 - 1}`,
  '--wasm-num-compilation-tasks=1',
  '--max-semi-space-size=1',
]

/** The folder holding the profile: the repository's, unless the Electron layer points into the app's resources. */
export function wasmProfileDir(): string {
  return (
    process.env.EMBEDDED_WASM_PROFILE_DIR ?? resolve(import.meta.dirname, '../../../resources/wasm-profile')
  )
}

/** The backend's working directory, where V8 looks for the profile; undefined leaves the parent's. */
export function backendWorkingDir(): string | undefined {
  const dir = wasmProfileDir()
  return existsSync(dir) ? dir : undefined
}
