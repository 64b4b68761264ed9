// Token buckets keyed by client IP or author pubkey: each key holds up to `burst` tokens, refilled
// at `perSecond`, and every message or event takes one. Buckets that have refilled are forgotten,
// so memory follows the number of recently busy keys, not of all keys ever seen.

export interface TokenBucketsOptions {
  perSecond: number
  burst: number
  /** Milliseconds since some epoch; tests and benchmarks may pass their own clock. */
  now?: () => number
}

export interface TokenBuckets {
  /** Takes one token for `key`; false when its bucket is empty (the caller refuses). */
  take(key: string): boolean
}

interface Bucket {
  tokens: number
  updatedAt: number
}

const SWEEP_EVERY = 1024

/** Buckets for `options.perSecond`; a rate of 0 lets everything through. */
export function createTokenBuckets(options: TokenBucketsOptions): TokenBuckets {
  const { perSecond, burst } = options
  const now = options.now ?? Date.now
  const buckets = new Map<string, Bucket>()
  let takes = 0

  if (perSecond <= 0) return { take: () => true }

  function refill(bucket: Bucket, at: number): void {
    const elapsed = Math.max(0, at - bucket.updatedAt) / 1000
    bucket.tokens = Math.min(burst, bucket.tokens + elapsed * perSecond)
    bucket.updatedAt = at
  }

  // Full buckets carry no information: drop them now and then.
  function sweep(at: number): void {
    for (const [key, bucket] of buckets) {
      refill(bucket, at)
      if (bucket.tokens >= burst) buckets.delete(key)
    }
  }

  return {
    take(key) {
      const at = now()
      if (++takes % SWEEP_EVERY === 0) sweep(at)
      let bucket = buckets.get(key)
      if (!bucket) {
        bucket = { tokens: burst, updatedAt: at }
        buckets.set(key, bucket)
      }
      refill(bucket, at)
      if (bucket.tokens < 1) return false
      bucket.tokens -= 1
      return true
    },
  }
}
