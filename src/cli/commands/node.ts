// `archy node run`: a registry node (relay, indexer, signed catalog, blobs, HTTP) on one port,
// configured from flags, `ARCHY_*` variables and defaults, until SIGINT or SIGTERM.
import { ArchyError, UsageError } from '../../errors.js'
import { loadNodeConfig, type NodeConfig } from '../../config/node-config.js'
import { renderExampleEnv, renderSettingsTable } from '../../config/settings-doc.js'
import { rotateOperatorKey, startRegistryNode, type RegistryNode } from '../../../registry/index.js'
import { flagOption, stringOption, type CommandInput, type CommandSpec } from '../command.js'
import { waitForSignal } from '../signals.js'

export const commands: CommandSpec[] = [
  {
    noun: 'node',
    verb: 'settings',
    summary: "print the node's settings as a Markdown table, or as an example environment file",
    options: { env: { type: 'boolean', description: 'print an example environment file' } },
    async run(input) {
      input.io.out(flagOption(input, 'env') ? renderExampleEnv() : renderSettingsTable())
      return 0
    },
  },
  {
    noun: 'node',
    verb: 'run',
    summary: 'run a registry node: relay, catalog, blobs and HTTP API on one port',
    options: {
      data: { type: 'string', valueName: 'DIR', description: 'data directory (default ./data)' },
      host: { type: 'string', valueName: 'H', description: 'listen address (default 127.0.0.1)' },
      port: { type: 'string', valueName: 'N', description: 'listen port (default 7777; 0 = any)' },
      json: { type: 'boolean', description: 'print the URL and DID as JSON' },
    },
    run: runNode,
  },
  {
    noun: 'node',
    verb: 'rotate-key',
    summary: "rotate the operator's catalog key; the node signs with the new one once restarted",
    options: {
      data: { type: 'string', valueName: 'DIR', description: 'data directory (default ./data)' },
      json: { type: 'boolean', description: 'print the old and new DID and the sequence as JSON' },
    },
    run: runRotateKey,
  },
]

/** `archy node rotate-key`: the statement signed by both keys, then the key files swapped. */
async function runRotateKey(input: CommandInput): Promise<number> {
  const config = loadNodeConfig(readFlags(input))
  const result = await rotateOperatorKey(config.data)
  if (flagOption(input, 'json')) {
    input.io.out(JSON.stringify(result))
    return 0
  }
  input.io.out(
    [
      `rotated ${result.oldDid}`,
      `     to ${result.newDid}`,
      `from catalog sequence ${result.sequence}`,
      ...(result.retiredKeyFile ? [`old key kept at ${result.retiredKeyFile}`] : []),
    ].join('\n'),
  )
  input.io.err('restart the node to sign catalogs with the new key')
  return 0
}

async function runNode(input: CommandInput): Promise<number> {
  const config = loadNodeConfig(readFlags(input))
  let node: RegistryNode
  try {
    node = await startRegistryNode({
      dataDir: config.data,
      host: config.host,
      port: config.port,
      publicUrl: config.public_url,
      logLevel: config.log_level,
      maxBlobBytes: config.max_blob_bytes,
      relayAcceptedKinds: config.relay_accepted_kinds,
      relayAppDataNamespaces: config.relay_app_data_namespaces,
      blobQuotaBytes: config.blob_quota_bytes,
      blobGraceSeconds: config.blob_grace_seconds,
      appOwners: config.app_owners,
      upstreamRelays: config.upstream_relays,
      relayAuthWrites: config.relay_auth_writes,
      trustedProxies: config.trusted_proxies,
      relayNegentropy: {
        maxSessions: config.relay_negentropy_sessions,
        maxRecords: config.relay_negentropy_max_events,
        frameSizeLimit: config.relay_negentropy_frame_bytes,
      },
      relayLimits: {
        maxFutureSeconds: config.relay_max_future_seconds,
        maxPastSeconds: config.relay_max_past_seconds,
        ipMessagesPerSecond: config.relay_ip_messages_per_second,
        ipMessageBurst: config.relay_ip_messages_per_second * 5,
        keyEventsPerSecond: config.relay_key_events_per_second,
        keyEventBurst: config.relay_key_events_per_second * 10,
      },
    })
  } catch (error) {
    throw describeStartError(error, config)
  }
  if (flagOption(input, 'json')) input.io.out(JSON.stringify({ url: node.url, did: node.did }))
  else input.io.out(`registry node at ${node.url}\noperator DID ${node.did}`)

  const signal = await waitForSignal()
  input.io.err(`received ${signal}, stopping`)
  await node.close()
  return 0
}

/** The flags given, checked strictly: a bad value is a usage error naming the flag. */
function readFlags(input: CommandInput): Partial<Record<keyof NodeConfig, string | number>> {
  const flags: Partial<Record<keyof NodeConfig, string | number>> = {}
  const port = stringOption(input, 'port')
  if (port !== undefined) {
    if (!/^\d{1,5}$/.test(port) || Number(port) > 65535) {
      throw new UsageError(`--port: must be an integer from 0 to 65535, got "${port}"`)
    }
    flags.port = Number(port)
  }
  for (const name of ['host', 'data'] as const) {
    const value = stringOption(input, name)
    if (value === '') throw new UsageError(`--${name}: must not be empty`)
    if (value !== undefined) flags[name] = value
  }
  return flags
}

/** Start-up failures of the operating system, named by the setting that caused them. */
function describeStartError(error: unknown, config: NodeConfig): unknown {
  const code = (error as NodeJS.ErrnoException).code
  const at = `${config.host}:${config.port}`
  const reasons: Record<string, string> = {
    EADDRINUSE: `port: ${at} is already in use`,
    EADDRNOTAVAIL: `host: ${config.host} is not an address of this machine`,
    ENOTFOUND: `host: ${config.host} does not resolve to an address`,
    EACCES: `cannot use ${at} or the data directory ${config.data}: permission denied`,
    EEXIST: `data: ${config.data} exists and is not a directory`,
    ENOTDIR: `data: ${config.data} is not a directory`,
  }
  const reason = code === undefined ? undefined : reasons[code]
  return reason === undefined ? error : new ArchyError('start-failed', reason, { cause: error })
}
