// Loaded with `node --import` before `npm run web`'s TypeScript entry, and in
// JavaScript for that reason: Node strips a .ts file's types with a compiler built to
// WebAssembly that, once loaded, stays resident for the process's life (17 MB of the
// app's memory at rest). With the compile cache on before the first .ts module, every
// start after the first reads the stripped code from the cache and never loads it.
// The directory is Node's default; the embedded backend's child uses the same one
// (src/main/embedded-stack/launcher.ts).
import { enableCompileCache } from 'node:module'

enableCompileCache()
