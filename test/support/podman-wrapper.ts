// A misbehaving `podman` for the fault tests: a script first on the test user's PATH that logs
// every call and forwards it to the real Podman, unless its control file says to hang on some
// subcommands, fail every Nth call, or remove a network just before a `run` (Podman's race).
import type { Exec } from '../../node-agent/exec.js'

export interface WrapperControl {
  /** Subcommands that hang (`ps`, `image-inspect`: the first two words joined by `-`). */
  hang?: string[]
  /** Every Nth call (counted over the calls `failOnly` selects) exits 125 as Podman does. */
  failEvery?: number
  /** The subcommands failEvery counts; every subcommand when empty. */
  failOnly?: string[]
  /** A network removed just before the next `run`, once, as a concurrent `network rm` does. */
  dropNetworkBeforeRun?: string
}

export interface PodmanWrapper {
  /** A PATH with the wrapper first. */
  path: string
  /** Where the wrapper writes the pid of a hung call's sleeping child. */
  hungPidFile: string
  control(settings: WrapperControl): Promise<void>
  /** Every call so far, one line each (its arguments), and forgets them. */
  takeCalls(): Promise<string[]>
}

const REAL_PODMAN = '/usr/bin/podman'

/** Writes the wrapper into `dir` (made as the test user) and returns its controls. */
export async function installPodmanWrapper(asUser: Exec, dir: string): Promise<PodmanWrapper> {
  const script = `#!/bin/sh
# Test wrapper around ${REAL_PODMAN} (test/support/podman-wrapper.ts).
dir=${dir}
HANG= FAIL_EVERY=0 FAIL_ONLY= DROP_NETWORK=
[ -f "$dir/control" ] && . "$dir/control"
key="$1"
case "$1" in image|network|secret|volume|container) key="$1-$2" ;; esac
# One line per call: dash's echo would turn a \\n in an argument into a line break.
line=$(printf '%s' "$*" | tr '\\n' ' ')
printf '%s\\n' "$line" >> "$dir/calls.log"
case " $HANG " in *" $key "*)
  sleep 600 &
  echo $! > "$dir/hung.pid"
  wait
  exit 1 ;;
esac
if [ "$FAIL_EVERY" -gt 0 ]; then
  case " $FAIL_ONLY " in "  "|*" $key "*)
    count=$(( $(cat "$dir/count" 2>/dev/null || echo 0) + 1 ))
    echo $count > "$dir/count"
    if [ $((count % FAIL_EVERY)) -eq 0 ]; then
      echo "Error: injected failure of podman $key (call $count)" >&2
      exit 125
    fi ;;
  esac
fi
if [ "$1" = run ] && [ -n "$DROP_NETWORK" ]; then
  sed -i '/^DROP_NETWORK=/d' "$dir/control"
  ${REAL_PODMAN} network rm "$DROP_NETWORK" > /dev/null 2>&1
fi
exec ${REAL_PODMAN} "$@"
`
  const write = (file: string, text: string) =>
    asUser('sh', ['-c', 'cat > "$1"', 'sh', file], { input: text })
  await asUser('mkdir', ['-p', dir])
  await write(`${dir}/podman`, script)
  await asUser('chmod', ['755', `${dir}/podman`])

  return {
    path: `${dir}:/usr/sbin:/usr/bin:/sbin:/bin`,
    hungPidFile: `${dir}/hung.pid`,
    async control(settings) {
      const lines = [
        `HANG='${(settings.hang ?? []).join(' ')}'`,
        `FAIL_EVERY=${settings.failEvery ?? 0}`,
        `FAIL_ONLY='${(settings.failOnly ?? []).join(' ')}'`,
        ...(settings.dropNetworkBeforeRun ? [`DROP_NETWORK=${settings.dropNetworkBeforeRun}`] : []),
      ]
      await write(`${dir}/control`, `${lines.join('\n')}\n`)
      await asUser('rm', ['-f', `${dir}/count`, `${dir}/hung.pid`])
    },
    async takeCalls() {
      const log = await asUser('sh', [
        '-c',
        'cat "$1" 2>/dev/null; rm -f "$1"',
        'sh',
        `${dir}/calls.log`,
      ])
      return log.stdout.split('\n').filter((line) => line.length > 0)
    },
  }
}
