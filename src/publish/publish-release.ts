// `archy publish` as a function: package and sign the manifests, upload the artifacts, publish the
// release event to the registry's relay, then wait for the registry's verdict and its catalog.
import { ArchyError } from '../errors.js'
import type { KeyPairs } from '../identity/key-file.js'
import type { NostrEvent } from '../nostr/event.js'
import {
  fetchMaxMessageLength,
  publishToRelay,
  relayUrlOf,
  type RelayAnswer,
} from '../nostr/relay-client.js'
import { packageRelease, type PackagedRelease } from '../release/package-release.js'
import { buildReleaseEvent } from '../release/release-event.js'
import { uploadArtifact, type UploadResult } from './blob-upload.js'

export interface Verdict {
  status: 'accepted' | 'rejected' | 'pending'
  reason?: string
}

export interface PublishReport {
  app: string
  version: string
  eventId: string
  uploads: UploadResult[]
  relay: RelayAnswer
  verdict: Verdict
  /** The first signed catalog that lists the release; null if none did within the wait. */
  catalog: { sequence: number } | null
  /** The manifests' warnings, as `archy app validate` reports them. */
  warnings: PackagedRelease['warnings']
}

export interface PublishOptions {
  files: string[]
  keys: KeyPairs
  registryUrl: string
  /** How long to wait for the registry's verdict, and again for a catalog that lists it. */
  verdictTimeoutMs?: number
  onProgress?: (line: string) => void
}

/** Publishes a release and reports the relay's answer and the registry's verdict. */
export async function publishRelease(options: PublishOptions): Promise<PublishReport> {
  const progress = options.onProgress ?? (() => {})
  const { release, artifacts, warnings } = await packageRelease(options.files, options.keys)
  // Signed now, sent after the uploads; a relay that could never take it is named before any
  // upload starts.
  const event = buildReleaseEvent(release, options.keys.nostr.secretKey)
  await checkEventFits(options.registryUrl, event)

  const uploads: UploadResult[] = []
  for (const artifact of artifacts) {
    const result = await uploadArtifact(options.registryUrl, artifact, options.keys.nostr.secretKey)
    progress(`artifact ${artifact.name} ${result.status} (blake3:${artifact.blake3})`)
    uploads.push(result)
  }

  const relay = await publishToRelay(relayUrlOf(options.registryUrl), event)
  const timeoutMs = options.verdictTimeoutMs ?? 10_000
  const verdict = relay.accepted
    ? await waitForVerdict(options.registryUrl, event.id, timeoutMs)
    : { status: 'rejected' as const, reason: 'the relay refused the event' }
  // The registry re-signs its catalog shortly after a verdict; "accepted" alone would leave a
  // script racing that, so the report says which catalog first lists the release.
  const catalog =
    verdict.status === 'accepted'
      ? await waitForCatalog(options.registryUrl, event.id, timeoutMs)
      : null
  const { app, version } = release
  return { app, version, eventId: event.id, uploads, relay, verdict, catalog, warnings }
}

/** Refuses an event larger than the relay's advertised max_message_length (NIP-11). */
async function checkEventFits(registryUrl: string, event: NostrEvent): Promise<void> {
  const limit = await fetchMaxMessageLength(registryUrl)
  const size = Buffer.byteLength(JSON.stringify(['EVENT', event]))
  if (limit !== undefined && size > limit) {
    throw new ArchyError(
      'too-large',
      `the release event is ${size} bytes and the registry's relay takes at most ${limit}; ` +
        'make the manifests smaller (large files belong in artifacts)',
    )
  }
}

/** Polls `GET /v1/events/:id/verdict` until the registry has judged the event. */
export async function waitForVerdict(
  registryUrl: string,
  eventId: string,
  timeoutMs: number,
): Promise<Verdict> {
  const url = new URL(`/v1/events/${eventId}/verdict`, registryUrl)
  const judged = await pollJson(url, timeoutMs, (body) => {
    const verdict = body as Verdict | undefined
    return verdict?.status === 'accepted' || verdict?.status === 'rejected' ? verdict : undefined
  })
  return judged ?? { status: 'pending' }
}

/** Polls `GET /v1/catalog` until an entry carries the event; null when none does in time. */
export async function waitForCatalog(
  registryUrl: string,
  eventId: string,
  timeoutMs: number,
): Promise<{ sequence: number } | null> {
  const url = new URL('/v1/catalog', registryUrl)
  const listed = await pollJson(url, timeoutMs, (body) => {
    const catalog = body as { sequence?: unknown; apps?: unknown } | undefined
    const apps = Array.isArray(catalog?.apps) ? (catalog.apps as { event_id?: unknown }[]) : []
    const found = apps.some((entry) => entry?.event_id === eventId)
    return found && typeof catalog?.sequence === 'number'
      ? { sequence: catalog.sequence }
      : undefined
  })
  return listed ?? null
}

/**
 * GETs `url` every 100 ms until `read` finds what it wants in a 2xx JSON body, or `timeoutMs`
 * passes (undefined). Only a registry that cannot be reached is an error.
 */
async function pollJson<T>(
  url: URL,
  timeoutMs: number,
  read: (body: unknown) => T | undefined,
): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs
  while (true) {
    let response: Response
    try {
      response = await fetch(url)
    } catch (error) {
      throw new ArchyError('registry-unreachable', `cannot reach ${url.origin}`, { cause: error })
    }
    // A non-2xx answer (404: not judged or listed yet) is discarded and asked again.
    if (!response.ok) await response.body?.cancel()
    const body: unknown = response.ok ? await response.json().catch(() => undefined) : undefined
    const found = body === undefined ? undefined : read(body)
    if (found !== undefined) return found
    if (Date.now() >= deadline) return undefined
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}
