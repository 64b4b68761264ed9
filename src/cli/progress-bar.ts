// Download progress for agent commands: a bar (cli-progress) on a terminal, and one line per
// finished artifact otherwise, so logs and pipes get no escape codes.
import cliProgress from 'cli-progress'

import type { DownloadProgress } from '../../node-agent/artifact-fetch.js'

export interface ProgressBar {
  update(progress: DownloadProgress): void
  stop(): void
}

export interface ProgressBarOptions {
  /** Where the bar goes (default standard error); a stream that is not a TTY gets lines. */
  stream?: NodeJS.WritableStream & { isTTY?: boolean }
  /** Writes one line (the CLI's standard error) when the stream is not a terminal. */
  line(text: string): void
}

/** A progress display over any number of artifacts downloaded one after another. */
export function createProgressBar(options: ProgressBarOptions): ProgressBar {
  const stream = options.stream ?? process.stderr
  const tty = stream.isTTY === true
  let bar: cliProgress.SingleBar | undefined
  let current: string | undefined

  const finish = (): void => {
    bar?.stop()
    bar = undefined
    current = undefined
  }

  return {
    update(progress) {
      if (progress.name !== current) {
        finish()
        current = progress.name
        if (tty) {
          bar = new cliProgress.SingleBar({
            stream,
            format: '{name} [{bar}] {percentage}% {size}',
            hideCursor: true,
            clearOnComplete: false,
          })
          bar.start(progress.total, 0, { name: progress.name, size: formatBytes(progress.total) })
        }
      }
      bar?.update(progress.received)
      if (progress.received >= progress.total) {
        if (!tty) options.line(`downloaded ${progress.name} (${formatBytes(progress.total)})`)
        finish()
      }
    },
    stop: finish,
  }
}

/** `512 B`, `1.5 KiB`, `20.0 MiB`. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`
  const units = ['KiB', 'MiB', 'GiB', 'TiB']
  let value = bytes / 1024
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return `${value.toFixed(1)} ${units[unit]}`
}
