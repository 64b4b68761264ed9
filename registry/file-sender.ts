// Sends byte ranges of a file on a Node response through a few reused buffers. A read stream
// allocates a fresh buffer per read, and in a process with a large heap the external memory that
// piles up makes V8 run a full mark-compact every few dozen megabytes: measured here, eight in
// one 256 MiB download, half the time. Reused buffers allocate nothing per chunk.
import type { FileHandle } from 'node:fs/promises'
import { open } from 'node:fs/promises'
import type { ServerResponse } from 'node:http'

import type { ByteRange } from './byte-ranges.js'

/** Bytes per read, and buffers per response (one being read, the others being written). */
export const SEND_CHUNK_BYTES = 1024 * 1024
const BUFFERS = 3

/** One piece of a response: literal bytes (a multipart head) or a range of the file. */
export type SendPiece = Buffer | ByteRange

/** Writes `pieces` of the file at `path` on `outgoing`, then ends it; destroys it on an error. */
export async function sendFilePieces(
  outgoing: ServerResponse,
  path: string,
  pieces: SendPiece[],
): Promise<void> {
  let handle: FileHandle | undefined
  try {
    handle = await open(path, 'r')
    const pool = createBufferPool(outgoing, largestRange(pieces))
    for (const piece of pieces) {
      if (Buffer.isBuffer(piece)) await pool.write(piece)
      else await sendRange(handle, pool, piece)
      if (pool.closed()) return
    }
    outgoing.end()
  } catch (error) {
    outgoing.destroy(error as Error)
  } finally {
    await handle?.close()
  }
}

async function sendRange(handle: FileHandle, pool: BufferPool, range: ByteRange): Promise<void> {
  let position = range.start
  while (position <= range.end && !pool.closed()) {
    const buffer = await pool.take()
    if (!buffer) return
    const length = Math.min(buffer.length, range.end - position + 1)
    const { bytesRead } = await handle.read(buffer, 0, length, position)
    if (bytesRead === 0) throw new Error(`the file ended at byte ${position}, before the range`)
    position += bytesRead
    await pool.write(buffer.subarray(0, bytesRead), buffer)
  }
}

function largestRange(pieces: SendPiece[]): number {
  const sizes = pieces.map((piece) => (Buffer.isBuffer(piece) ? 0 : piece.end - piece.start + 1))
  return Math.max(1, ...sizes)
}

interface BufferPool {
  /** A free buffer, waiting for one to be written out; undefined once the response closed. */
  take(): Promise<Buffer | undefined>
  /** Writes bytes; `owner` goes back to the pool once the socket has taken them. */
  write(bytes: Buffer, owner?: Buffer): Promise<void>
  closed(): boolean
}

function createBufferPool(outgoing: ServerResponse, largest: number): BufferPool {
  const size = Math.min(SEND_CHUNK_BYTES, largest)
  const free: Buffer[] = Array.from({ length: BUFFERS }, () => Buffer.allocUnsafe(size))
  let waiting: ((buffer: Buffer | undefined) => void) | undefined
  let isClosed = false
  outgoing.once('close', () => {
    isClosed = true
    waiting?.(undefined)
  })

  function release(buffer: Buffer): void {
    if (waiting) {
      const resolve = waiting
      waiting = undefined
      resolve(buffer)
    } else free.push(buffer)
  }

  return {
    take() {
      if (isClosed) return Promise.resolve(undefined)
      const buffer = free.pop()
      if (buffer) return Promise.resolve(buffer)
      return new Promise((resolve) => (waiting = resolve))
    },
    async write(bytes, owner) {
      // The callback runs once the socket has taken the bytes, so the buffer may be read into.
      const flowing = outgoing.write(bytes, () => owner && release(owner))
      if (!flowing && !isClosed) {
        await new Promise<void>((resolve) => {
          const done = (): void => {
            outgoing.off('drain', done)
            outgoing.off('close', done)
            resolve()
          }
          outgoing.on('drain', done)
          outgoing.on('close', done)
        })
      }
    },
    closed: () => isClosed,
  }
}
