// Whether the agent's user lingers (loginctl(1), enable-linger): without it systemd stops the
// user manager at logout and never starts it at boot, so the daemon's unit and every quadlet-mode
// app would be gone after a reboot until someone logs in.
import { userInfo } from 'node:os'

import type { Exec } from './exec.js'

/** Why the user's apps would not survive a reboot or logout, or undefined when linger is on. */
export async function checkLinger(exec: Exec): Promise<string | undefined> {
  const user = userInfo().username
  const result = await exec('loginctl', ['show-user', user, '--property=Linger', '--value'], {
    allowFailure: true,
    timeoutMs: 10_000,
  }).catch(() => undefined)
  const value = result?.exitCode === 0 ? result.stdout.trim() : undefined
  if (value === 'yes') return undefined
  const fix = `run: sudo loginctl enable-linger ${user}`
  if (value === 'no') {
    return (
      `linger is off for ${user}: its systemd user manager, the agent's unit and the apps ` +
      `stop at logout and do not start at boot; ${fix}`
    )
  }
  return `cannot tell whether linger is on for ${user} (loginctl failed); if it is off, ${fix}`
}
