import type { PGlite } from '@electric-sql/pglite'

/** The parts of Emscripten's Node filesystem (NODEFS) that read or change a file's size. */
interface Stream {
  node: { mode: number }
}
interface NodeFsOps {
  stream_ops: {
    llseek(stream: Stream, offset: number, whence: number): number
    write(stream: Stream, ...rest: unknown[]): number
  }
  node_ops: { setattr(node: object, attr: object): void }
}

const seekEnd = 2

/**
 * Postgres asks a relation file's size (a seek to its end) when it plans a statement
 * and when an insert may extend the file, and Emscripten's Node filesystem answers
 * each with an fstat through JavaScript: five a message insert, two an inbox read,
 * 2-3% of an insert's time. The data directory is this Postgres's alone (two
 * processes on one would corrupt it anyway: each keeps its own buffers) and every
 * change to a file's size goes through this filesystem as a write (msync writes
 * too; it has no fallocate) or a truncation (setattr), so each
 * file's size is kept from its first seek to the end until its next write or
 * truncation. A renamed file keeps its node and so its size, a new one gets a node
 * of its own, a deleted one takes its entry along, and every call that is not a seek
 * to the end goes through untouched. Returns whether it could: false for a
 * filesystem of another shape, which then answers as it always did.
 */
export function rememberFileSizes(db: PGlite): boolean {
  const { FS } = db.Module
  const nodefs = FS.filesystems.NODEFS as unknown as Partial<NodeFsOps> | undefined
  const streams = nodefs?.stream_ops
  const nodes = nodefs?.node_ops
  // A filesystem that can change a size some other way (fallocate) keeps nothing.
  const known =
    typeof streams?.llseek === 'function' &&
    typeof streams.write === 'function' &&
    typeof nodes?.setattr === 'function' &&
    !('allocate' in streams)
  if (!known) return false
  const sizes = new WeakMap<object, number>()
  const { llseek, write } = streams
  const { setattr } = nodes
  streams.llseek = (stream, offset, whence) => {
    if (whence !== seekEnd || offset !== 0 || !FS.isFile(stream.node.mode))
      return llseek.call(streams, stream, offset, whence)
    let size = sizes.get(stream.node)
    if (size === undefined) {
      size = llseek.call(streams, stream, 0, seekEnd)
      sizes.set(stream.node, size)
    }
    return size
  }
  streams.write = (stream, ...rest) => {
    sizes.delete(stream.node)
    return write.call(streams, stream, ...rest)
  }
  nodes.setattr = (node, attr) => {
    sizes.delete(node)
    setattr.call(nodes, node, attr)
  }
  return true
}
