/**
 * glibc's allocator (Linux) keeps what it freed in up to eight arenas per core and,
 * once a large block was freed, raises its own threshold for handing memory back:
 * the compilers' and the start-up's scratch memory then stayed resident for good in
 * the backend child (a first start settled at 310 MB, a later one at 190), and in the
 * browser shell's main process the response bodies of a first sync did (+14 MB after
 * one of 100,000 conversations). Two arenas and fixed thresholds return it. Blocks of
 * 32 KB and more are mapped on their own, so they go back the moment they are freed:
 * V8's optimizing compiler takes its scratch memory in blocks of that size, and with
 * the threshold at 128 KB the backend child kept 35 MB more after compiling Postgres'
 * hot functions (src/main/embedded-stack/wasm-tiering.ts); at 32 KB, 8 MB more.
 * glibc reads the variable only when a process starts; other allocators ignore it.
 */
export const glibcMallocTunables =
  'glibc.malloc.arena_max=2:glibc.malloc.mmap_threshold=32768:glibc.malloc.trim_threshold=131072'
