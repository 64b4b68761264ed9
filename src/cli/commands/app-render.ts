// `archy app render`: validates manifests as a set and writes their Quadlet units into a
// directory, as the agent would for this node, so they can be read, diffed or installed by hand.
import { writeFile } from 'node:fs/promises'
import { homedir } from 'node:os'
import { isIPv4 } from 'node:net'
import path from 'node:path'

import { buildContainerSpec } from '../../../node-agent/container-spec.js'
import type {
  ContainerSpec,
  NodeContext,
  NodeValueName,
} from '../../../node-agent/container-spec.js'
import { namespaceVolumes } from '../../../node-agent/plan-rules.js'
import { renderQuadletUnits } from '../../../node-agent/quadlet.js'
import { DEFAULT_PODMAN_VERSION, parsePodmanVersion } from '../../../node-agent/quadlet-versions.js'
import { UsageError, ValidationError } from '../../errors.js'
import { describeFsError, makeDirectory } from '../../fs/make-directory.js'
import { loadManifestFile } from '../../manifest/load.js'
import { isAppDependency } from '../../manifest/types.js'
import type { AppManifest } from '../../manifest/types.js'
import { validateManifestSet } from '../../manifest/validate.js'
import { listOption, stringOption } from '../command.js'
import type { CliIO, CommandInput, CommandSpec } from '../command.js'

const NODE_VALUES: readonly NodeValueName[] = [
  'HOST_IP',
  'HOST_MDNS',
  'NODE_NOSTR_PUBKEY',
  'NODE_IDENTITY_PUBKEYS',
]

export const commands: CommandSpec[] = [
  {
    noun: 'app',
    verb: 'render',
    summary: 'write the Quadlet units of an app or a stack into a directory',
    args: 'FILE...',
    minArgs: 1,
    maxArgs: Infinity,
    options: {
      out: { type: 'string', description: 'directory for the units (required)', valueName: 'DIR' },
      'podman-version': {
        type: 'string',
        description: `Podman version of the target host (default ${DEFAULT_PODMAN_VERSION})`,
        valueName: 'V',
      },
      set: {
        type: 'string',
        multiple: true,
        description: `a placeholder value: ${NODE_VALUES.join(', ')}`,
        valueName: 'NAME=VALUE',
      },
      'data-root': {
        type: 'string',
        description:
          'where app data lives (default $ARCHY_DATA_ROOT or ~/.local/share/archipelago/apps)',
        valueName: 'DIR',
      },
    },
    run: runRender,
  },
]

async function runRender(input: CommandInput): Promise<number> {
  const out = stringOption(input, 'out')
  if (!out) throw new UsageError('"app render" needs --out DIR')
  const podmanVersion = stringOption(input, 'podman-version') ?? DEFAULT_PODMAN_VERSION
  checkPodmanVersion(podmanVersion)
  const context: NodeContext = {
    dataRoot: path.resolve(stringOption(input, 'data-root') ?? defaultDataRoot()),
    values: parseSetOptions(listOption(input, 'set')),
  }

  // Validate the files as one set, so references between them resolve.
  const files = input.positionals
  const documents = await Promise.all(files.map((file) => loadManifestFile(file)))
  const { checks } = validateManifestSet(documents)
  let failed = false
  const manifests: AppManifest[] = []
  checks.forEach((check, index) => {
    for (const problem of check.problems) {
      const label = problem.severity === 'error' ? '' : 'warning: '
      input.io.err(`${files[index]}: ${label}${problem.path}: ${problem.message}`)
      failed ||= problem.severity === 'error'
    }
    if (check.manifest) manifests.push(check.manifest)
  })
  if (failed || manifests.length !== files.length) return 1

  const specs = manifests.map((manifest, index) =>
    buildSpec(manifest, manifests, context, files[index]!, input.io),
  )
  const { files: units, warnings } = renderQuadletUnits(specs, { podmanVersion })
  for (const warning of warnings) input.io.err(`warning: ${warning}`)

  await makeDirectory(out, { field: '--out' })
  for (const unit of units) {
    const target = path.join(out, unit.name)
    try {
      await writeFile(target, unit.content)
    } catch (error) {
      const reason = describeFsError(error)
      throw new ValidationError('--out', `cannot write ${target}: ${reason}`, { cause: error })
    }
    input.io.out(target)
  }
  return 0
}

// Images given as `file:` or `blake3:` render as `localhost/archy/<app id>:<version>`
// (resolveImageName), the name the agent loads such an archive under.
function buildSpec(
  manifest: AppManifest,
  set: AppManifest[],
  context: NodeContext,
  file: string,
  io: CliIO,
): ContainerSpec {
  const secretOwners = findSecretOwners(manifest, set)
  const built = buildContainerSpec(manifest, context, { secretOwners })
  for (const warning of built.warnings) io.err(`${file}: warning: ${warning}`)
  // Named volumes as the agent names them on a node: archy.<app id>.<name>.
  const spec = namespaceVolumes(manifest, built.spec)

  // A hook's copy_from_host source is relative to its manifest.
  const directory = path.dirname(path.resolve(file))
  spec.postInstall = spec.postInstall.map((step) =>
    'copy_from_host' in step
      ? {
          copy_from_host: {
            ...step.copy_from_host,
            src: path.resolve(directory, step.copy_from_host.src),
          },
        }
      : step,
  )
  return spec
}

/** Each secret is owned by the app that declares it: this one first, then its dependencies. */
function findSecretOwners(manifest: AppManifest, set: AppManifest[]): Record<string, string> {
  const dependencies = new Set(manifest.dependencies.filter(isAppDependency).map((d) => d.app_id))
  const candidates = [manifest, ...set.filter((other) => dependencies.has(other.id)), ...set]
  const owners: Record<string, string> = {}
  for (const { secret_file: name } of manifest.container.secret_env) {
    const owner = candidates.find((app) => app.generated_secrets.some((s) => s.name === name))
    if (owner) owners[name] = owner.id
  }
  return owners
}

function parseSetOptions(entries: string[]): NodeContext['values'] {
  const values: NodeContext['values'] = {}
  for (const entry of entries) {
    const separator = entry.indexOf('=')
    const name = separator > 0 ? entry.slice(0, separator) : ''
    if (!NODE_VALUES.includes(name as NodeValueName)) {
      throw new UsageError(
        `--set ${entry}: expected NAME=VALUE with NAME one of ${NODE_VALUES.join(', ')}`,
      )
    }
    const value = entry.slice(separator + 1)
    const problem = NODE_VALUE_RULES[name as NodeValueName](value)
    if (problem !== undefined) throw new UsageError(`--set ${name}: "${value}" ${problem}`)
    values[name as NodeValueName] = value
  }
  return values
}

const HEX_KEY = /^[0-9a-f]{64}$/
const DNS_NAME =
  /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i

/** What each placeholder's value must look like: what the agent would put there on a node. */
const NODE_VALUE_RULES: Record<NodeValueName, (value: string) => string | undefined> = {
  HOST_IP: (value) => (isIPv4(value) ? undefined : 'is not an IPv4 address'),
  HOST_MDNS: (value) => (DNS_NAME.test(value) ? undefined : 'is not a host name'),
  NODE_NOSTR_PUBKEY: (value) => (HEX_KEY.test(value) ? undefined : 'is not 64 lowercase hex'),
  NODE_IDENTITY_PUBKEYS: (value) =>
    value.split(',').every((key) => HEX_KEY.test(key))
      ? undefined
      : 'is not a comma-separated list of 64 lowercase hex keys',
}

function checkPodmanVersion(version: string): void {
  try {
    parsePodmanVersion(version)
  } catch (error) {
    if (error instanceof ValidationError)
      throw new UsageError(
        `--podman-version ${version}: ${error.message.replace(/^podmanVersion: /, '')}`,
      )
    throw error
  }
}

function defaultDataRoot(): string {
  return process.env.ARCHY_DATA_ROOT || path.join(homedir(), '.local/share/archipelago/apps')
}
