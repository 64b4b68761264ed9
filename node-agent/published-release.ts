// A release the catalog no longer lists (the catalog holds each app's newest only): read from
// the origin's `GET /v1/apps/<id>@<did>/releases` for `archy agent pin APP VERSION`. The registry
// is not trusted for it: the release's own proofs and manifests are verified, and its publisher
// and app must be the install's (DESIGN.md §2, "Nothing unverified is used").
import { ArchyError, VerificationError } from '../src/errors.js'
import { verifyRelease, type VerifiedRelease } from '../src/release/release-document.js'
import type { InstallRecord } from './agent-store.js'

const RELEASES_TIMEOUT_MS = 30_000

/** The verified release of `version` by the install's publisher, from the install's registry. */
export async function fetchPublishedRelease(
  install: Pick<InstallRecord, 'appId' | 'registryUrl' | 'publisherDid'>,
  version: string,
): Promise<VerifiedRelease> {
  const address = encodeURIComponent(`${install.appId}@${install.publisherDid}`)
  const url = `${install.registryUrl}/v1/apps/${address}/releases`
  let body: unknown
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(RELEASES_TIMEOUT_MS) })
    if (response.status === 404) body = { releases: [] }
    else if (!response.ok) throw new Error(`HTTP ${response.status}`)
    else body = await response.json()
  } catch (error) {
    throw new ArchyError('fetch-failed', `${url}: ${(error as Error).message}`, { cause: error })
  }
  const records = (body as { releases?: unknown }).releases
  const found = Array.isArray(records)
    ? (records as { version?: unknown; release?: unknown }[]).find((r) => r.version === version)
    : undefined
  if (!found) {
    throw new ArchyError(
      'not-found',
      `${install.appId} ${version} is not among the releases ${install.registryUrl} has`,
    )
  }
  const verified = verifyRelease(found.release, `${install.appId} ${version}`)
  const { release } = verified
  if (
    release.app !== install.appId ||
    release.version !== version ||
    release.author.did !== install.publisherDid
  ) {
    throw new VerificationError(
      `${url}: the release served for ${version} is ${release.app} ${release.version} by ` +
        `${release.author.did}, not the installed app's publisher`,
    )
  }
  return verified
}
