// Where the agent keeps things (DESIGN.md §5): its own state (SQLite, keys, secrets, units,
// artifacts) under --state, and app data in `<data root>/<app id>/`.
import { homedir } from 'node:os'
import path from 'node:path'

import { ValidationError } from '../src/errors.js'

export interface AgentPaths {
  stateDir: string
  dataRoot: string
  database: string
  lockFile: string
  nodeKeys: string
  artifactsDir: string
  secretsDir: string
  unitsDir: string
  /** The daemon's local API (a Unix socket, 0600 in the 0700 state directory). */
  socket: string
  /** Where quadlet mode installs units: the user's Quadlet directory (podman-systemd.unit(5)). */
  quadletDir: string
}

export interface AgentPathOptions {
  state?: string
  dataRoot?: string
  env?: Record<string, string | undefined>
}

/** Resolves the state directory and data root: options, then ARCHY_* variables, then defaults. */
export function resolveAgentPaths(options: AgentPathOptions = {}): AgentPaths {
  const env = options.env ?? process.env
  const base = path.join(homedir(), '.local', 'share', 'archipelago')
  const stateDir = absolute(
    options.state ?? env.ARCHY_AGENT_STATE ?? path.join(base, 'agent'),
    '--state',
  )
  const dataRoot = absolute(
    options.dataRoot ?? env.ARCHY_DATA_ROOT ?? path.join(base, 'apps'),
    '--data-root',
  )
  return {
    stateDir,
    dataRoot,
    database: path.join(stateDir, 'agent.sqlite'),
    lockFile: path.join(stateDir, 'lock'),
    nodeKeys: path.join(stateDir, 'node-keys.json'),
    artifactsDir: path.join(stateDir, 'artifacts'),
    secretsDir: path.join(stateDir, 'secrets'),
    unitsDir: path.join(stateDir, 'units'),
    socket: path.join(stateDir, 'agent.sock'),
    quadletDir: path.resolve(
      env.ARCHY_QUADLET_DIR ??
        path.join(env.XDG_CONFIG_HOME ?? path.join(homedir(), '.config'), 'containers', 'systemd'),
    ),
  }
}

/** The app's data directory on the host. */
export function appDataDir(paths: AgentPaths, appId: string): string {
  return path.join(paths.dataRoot, appId)
}

function absolute(value: string, flag: string): string {
  if (value.trim() === '') throw new ValidationError(flag, 'must not be empty')
  return path.resolve(value)
}
