// Which mount options an app may ask for, per mount type. An allowlist, because every option
// outside it reaches past the app's own files: SELinux relabels (z, Z) and chowns (U) of host
// files, mount propagation (shared, rslave...), and undoing nosuid, nodev or noexec.

/** Options a bind mount or named volume may carry. */
export const VOLUME_OPTIONS = ['ro', 'rw', 'nosuid', 'nodev', 'noexec'] as const

/** Plain options a tmpfs mount may carry, besides `size=` and `mode=`. */
export const TMPFS_FLAGS = ['nosuid', 'nodev', 'noexec'] as const

// tmpfs(5) sizes take k, m or g; the mode is permission bits, with the sticky bit (1777) for /tmp.
const TMPFS_SIZE = /^size=[1-9][0-9]*[kmg]?$/
const TMPFS_MODE = /^mode=[01]?[0-7]{3}$/

export function checkVolumeOption(value: string): string | undefined {
  if ((VOLUME_OPTIONS as readonly string[]).includes(value)) return undefined
  const allowed = VOLUME_OPTIONS.join(', ')
  return `mount option "${value}" is refused: bind and volume mounts take only ${allowed}`
}

export function checkTmpfsOption(value: string): string | undefined {
  if ((TMPFS_FLAGS as readonly string[]).includes(value)) return undefined
  if (TMPFS_SIZE.test(value) || TMPFS_MODE.test(value)) return undefined
  const allowed = `size=<n>[k|m|g], mode=<octal>, ${TMPFS_FLAGS.join(', ')}`
  return `mount option "${value}" is refused: tmpfs mounts take only ${allowed}`
}
