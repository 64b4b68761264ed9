// Group commit: writes submitted in the same turn of the event loop are committed together in
// one transaction, so each fsync pays for a batch and an OK still waits for its own commit.

export interface GroupCommitOptions<T, R> {
  /** Commits `items` in one transaction; one result per item, an Error for an item that failed. */
  commit(items: T[]): Array<R | Error>
  /** Most items in one transaction. */
  maxBatch?: number
}

export interface GroupCommit<T, R> {
  /** Resolves once the transaction holding `item` has committed. */
  submit(item: T): Promise<R>
}

interface Waiting<T, R> {
  item: T
  resolve(result: R): void
  reject(error: Error): void
}

const DEFAULT_MAX_BATCH = 1000

export function startGroupCommit<T, R>(options: GroupCommitOptions<T, R>): GroupCommit<T, R> {
  const maxBatch = options.maxBatch ?? DEFAULT_MAX_BATCH
  let waiting: Array<Waiting<T, R>> = []

  function submit(item: T): Promise<R> {
    return new Promise((resolve, reject) => {
      if (waiting.length === 0) setImmediate(flush)
      waiting.push({ item, resolve, reject })
    })
  }

  // A failed transaction (disk full, say) fails every write in it; none was acknowledged.
  function flush(): void {
    while (waiting.length > 0) {
      const batch = waiting.slice(0, maxBatch)
      waiting = waiting.slice(maxBatch)
      let results: Array<R | Error>
      try {
        results = options.commit(batch.map((entry) => entry.item))
      } catch (error) {
        const cause = error instanceof Error ? error : new Error(String(error))
        for (const entry of batch) entry.reject(cause)
        continue
      }
      batch.forEach((entry, index) => {
        const result = results[index] as R | Error
        if (result instanceof Error) entry.reject(result)
        else entry.resolve(result)
      })
    }
  }

  return { submit }
}
