/**
 * glibc's allocator (Linux) keeps what it freed in up to eight arenas per core and,
 * once a large block was freed, raises its own threshold for handing memory back:
 * the compilers' and the start-up's scratch memory then stayed resident for good in
 * the backend child (a first start settled at 310 MB, a later one at 190), and in the
 * browser shell's main process the response bodies of a first sync did (+14 MB after
 * one of 100,000 conversations). Two arenas and fixed 128 KB thresholds return it.
 * glibc reads the variable only when a process starts; other allocators ignore it.
 */
export const glibcMallocTunables =
  'glibc.malloc.arena_max=2:glibc.malloc.mmap_threshold=131072:glibc.malloc.trim_threshold=131072'
