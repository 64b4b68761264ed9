// The agent CLI's download progress: a bar on a terminal, one line per artifact elsewhere.
import { PassThrough } from 'node:stream'
import { describe, expect, it } from 'vitest'

import { createProgressBar, formatBytes } from '../../../src/cli/progress-bar.js'

describe('createProgressBar', () => {
  it('draws a bar with the name, percentage and size on a terminal', () => {
    const stream = Object.assign(new PassThrough(), { isTTY: true, columns: 100 })
    let drawn = ''
    stream.on('data', (chunk: Buffer) => (drawn += chunk.toString('utf8')))
    const lines: string[] = []
    const bar = createProgressBar({ stream, line: (text) => lines.push(text) })
    bar.update({ name: 'image.tar', received: 512 * 1024, total: 1024 * 1024 })
    bar.update({ name: 'image.tar', received: 1024 * 1024, total: 1024 * 1024 })
    bar.stop()
    expect(drawn).toMatch(/image\.tar \[[^\]]+\] 100% 1\.0 MiB/)
    expect(lines).toEqual([])
  })

  it('writes one line per finished artifact when not on a terminal', () => {
    const stream = new PassThrough()
    const lines: string[] = []
    const bar = createProgressBar({ stream, line: (text) => lines.push(text) })
    bar.update({ name: 'a.tar', received: 10, total: 2048 })
    bar.update({ name: 'a.tar', received: 2048, total: 2048 })
    bar.update({ name: 'web/b.js', received: 300, total: 300 })
    bar.stop()
    expect(lines).toEqual(['downloaded a.tar (2.0 KiB)', 'downloaded web/b.js (300 B)'])
    expect(stream.read()).toBeNull()
  })
})

describe('formatBytes', () => {
  const cases: [number, string][] = [
    [0, '0 B'],
    [1023, '1023 B'],
    [1536, '1.5 KiB'],
    [20 * 1024 * 1024, '20.0 MiB'],
    [3 * 1024 ** 4, '3.0 TiB'],
  ]
  for (const [bytes, text] of cases) {
    it(`writes ${bytes} as ${text}`, () => expect(formatBytes(bytes)).toBe(text))
  }
})
