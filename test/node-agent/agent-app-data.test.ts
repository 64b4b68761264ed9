// Tests for an app's data directory on a real file system: bind sources and files made, existing
// files kept unless `overwrite`, modes applied, data_uid given only to new entries (through the
// stubbed `podman unshare chown`), and symlinks planted by a container refused.
import {
  chmod,
  lstat,
  mkdir,
  mkdtemp,
  readFile,
  rm,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import { prepareAppData } from '../../node-agent/app-data.js'
import { buildContainerSpec } from '../../node-agent/container-spec.js'
import {
  createStubExec,
  execCommand,
  type ExecExpectation,
  type StubExec,
} from '../../node-agent/exec.js'
import { ArchyError, ExecError } from '../../src/errors.js'
import type { AppManifest, ManifestFile, Volume } from '../../src/manifest/types.js'
import { buildTestManifest } from '../support/quadlet.js'

const PREFIX = '/var/lib/archipelago/vault'
const WWW: Volume = { type: 'bind', source: `${PREFIX}/www`, target: '/www', options: [] }

let dir: string
let dataRoot: string
let outside: string

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'agent-app-data-'))
  dataRoot = path.join(dir, 'apps')
  outside = path.join(dir, 'outside')
  await mkdir(outside)
  await writeFile(path.join(outside, 'authorized_keys'), 'ssh-ed25519 AAAA owner\n')
})

afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

function buildManifest(files: Partial<ManifestFile>[], dataUid?: number): AppManifest {
  const manifest = buildTestManifest('vault', {
    volumes: [WWW, { type: 'tmpfs', target: '/tmp', options: [] }],
    files: files.map((file) => ({
      path: `${PREFIX}/www/index.html`,
      content: 'new\n',
      overwrite: false,
      ...file,
    })),
  })
  if (dataUid !== undefined) manifest.container.data_uid = dataUid
  return manifest
}

async function prepare(
  manifest: AppManifest,
  expectations: ExecExpectation[] = [],
): Promise<{ created: string[]; overwritten: string[]; stub: StubExec }> {
  const stub = createStubExec(expectations)
  const { spec } = buildContainerSpec(manifest, { dataRoot, values: {} })
  const changes = await prepareAppData(manifest, spec, { dataRoot, exec: stub })
  stub.assertAllUsed()
  return { ...changes, stub }
}

function chownOf(uid: number, entries: string[]): ExecExpectation {
  return {
    command: 'podman',
    args: ['unshare', 'chown', '--no-dereference', `${uid}:${uid}`, '--', ...entries],
  }
}

const www = (...parts: string[]): string => path.join(dataRoot, 'vault', 'www', ...parts)

describe('prepareAppData', () => {
  it('makes the bind sources and writes each file with its mode', async () => {
    const manifest = buildManifest([
      { content: '<h1>hi</h1>\n' },
      { path: `${PREFIX}/www/cgi-bin/value`, content: '#!/bin/sh\n', mode: '0750' },
      { path: `${PREFIX}/conf/app.ini`, content: '[core]\n', mode: '0600' },
    ])
    const { created, overwritten } = await prepare(manifest)

    expect(await readFile(www('index.html'), 'utf8')).toBe('<h1>hi</h1>\n')
    expect((await stat(www('index.html'))).mode & 0o777).toBe(0o644)
    expect((await stat(www('cgi-bin', 'value'))).mode & 0o777).toBe(0o750)
    const ini = path.join(dataRoot, 'vault', 'conf', 'app.ini')
    expect((await stat(ini)).mode & 0o777).toBe(0o600)
    expect(created).toEqual([
      path.join(dataRoot, 'vault'),
      www(),
      www('index.html'),
      www('cgi-bin'),
      www('cgi-bin', 'value'),
      path.join(dataRoot, 'vault', 'conf'),
      ini,
    ])
    expect(overwritten).toEqual([])
  })

  it('keeps an existing file when overwrite is false', async () => {
    await prepare(buildManifest([{ content: 'first\n' }]))
    await writeFile(www('index.html'), 'edited by the app\n')
    const { created, overwritten } = await prepare(buildManifest([{ content: 'second\n' }]))
    expect(await readFile(www('index.html'), 'utf8')).toBe('edited by the app\n')
    expect(created).toEqual([])
    expect(overwritten).toEqual([])
  })

  it('rewrites an existing file and applies its mode when overwrite is true', async () => {
    await prepare(buildManifest([{ content: 'first\n' }]))
    const again = buildManifest([{ content: 'second\n', overwrite: true, mode: '0640' }])
    const { created, overwritten } = await prepare(again)
    expect(await readFile(www('index.html'), 'utf8')).toBe('second\n')
    expect((await stat(www('index.html'))).mode & 0o777).toBe(0o640)
    expect(created).toEqual([])
    expect(overwritten).toEqual([www('index.html')])
  })

  it('gives data_uid only the entries it made inside a mount, in one call', async () => {
    const manifest = buildManifest([{}, { path: `${PREFIX}/conf/app.ini` }], 1000)
    await prepare(manifest, [chownOf(1000, [www(), www('index.html')])])

    // Next time only the new file is chowned: neither www nor the kept or rewritten files.
    const next = buildManifest(
      [{ overwrite: true }, { path: `${PREFIX}/www/css/site.css`, content: 'p{}' }],
      1000,
    )
    const { overwritten } = await prepare(next, [
      chownOf(1000, [www('css'), www('css', 'site.css')]),
    ])
    expect(overwritten).toEqual([www('index.html')])
  })

  it('makes no chown call when nothing new lies in a mount', async () => {
    await prepare(buildManifest([{}], 1000), [chownOf(1000, [www(), www('index.html')])])
    const { stub } = await prepare(buildManifest([{}], 1000))
    expect(stub.calls).toEqual([])
  })

  it('follows a symlink the operator made for the app directory itself', async () => {
    const elsewhere = path.join(dir, 'disk2', 'vault')
    await mkdir(elsewhere, { recursive: true })
    await mkdir(dataRoot)
    await symlink(elsewhere, path.join(dataRoot, 'vault'))
    await prepare(buildManifest([{ content: 'on disk 2\n' }]))
    expect(await readFile(path.join(elsewhere, 'www', 'index.html'), 'utf8')).toBe('on disk 2\n')
  })

  it('refuses a file path outside the app directory', async () => {
    const manifest = buildManifest([{ path: '/var/lib/archipelago/other/x' }])
    await expect(prepare(manifest)).rejects.toThrow(
      'vault: app.files[0].path: /var/lib/archipelago/other/x is outside this app',
    )
  })
})

describe('prepareAppData with a symlink planted in the data directory', () => {
  const planted: [string, boolean, () => Promise<void>, RegExp][] = [
    [
      'as the file itself',
      false,
      async () => symlink(path.join(outside, 'authorized_keys'), www('index.html')),
      /^vault: app\.files\[0\]\.path: .*\/www\/index\.html is a symlink; refusing to follow it/,
    ],
    [
      'as the file itself, with overwrite',
      true,
      async () => symlink(path.join(outside, 'authorized_keys'), www('index.html')),
      /^vault: app\.files\[0\]\.path: .*\/www\/index\.html is a symlink/,
    ],
    [
      'as a dangling file link',
      false,
      async () => symlink(path.join(outside, 'new-key'), www('index.html')),
      /app\.files\[0\]\.path: .*\/www\/index\.html is a symlink/,
    ],
    [
      'as a directory component of the file',
      false,
      async () => symlink(outside, www('sub')),
      /^vault: app\.files\[1\]\.path: .*\/www\/sub is a symlink; refusing to follow it/,
    ],
  ]
  for (const [label, overwrite, plant, message] of planted) {
    it(`refuses one ${label} and writes nothing through it`, async () => {
      await prepare(buildManifest([{}], 1000), [chownOf(1000, [www(), www('index.html')])])
      await rm(www('index.html'))
      await plant()
      const manifest = buildManifest(
        [{ overwrite }, { path: `${PREFIX}/www/sub/authorized_keys`, content: 'evil\n' }],
        1000,
      )
      await expect(prepare(manifest)).rejects.toThrow(message)
      expect(await readFile(path.join(outside, 'authorized_keys'), 'utf8')).toBe(
        'ssh-ed25519 AAAA owner\n',
      )
      await expect(lstat(path.join(outside, 'new-key'))).rejects.toThrow(/ENOENT/)
    })
  }

  it('refuses a bind source replaced by a symlink, naming the volume', async () => {
    await mkdir(path.join(dataRoot, 'vault'), { recursive: true })
    await symlink(outside, www())
    await expect(prepare(buildManifest([{}], 1000))).rejects.toThrow(
      /^vault: app\.volumes\[0\]\.source: .*\/vault\/www is a symlink; refusing to follow it out/,
    )
  })

  it('refuses a file where a directory is needed', async () => {
    await mkdir(www(), { recursive: true })
    await writeFile(www('sub'), 'a file\n')
    const manifest = buildManifest([{ path: `${PREFIX}/www/sub/x` }])
    await expect(prepare(manifest)).rejects.toThrow(/www\/sub is not a directory/)
  })

  it('refuses a directory where the file should be', async () => {
    await mkdir(www('index.html'), { recursive: true })
    await expect(prepare(buildManifest([{ overwrite: true }]))).rejects.toThrow(
      /www\/index\.html is not a regular file/,
    )
  })
})

describe('prepareAppData where the host user may not write', () => {
  // The app's uid owns its directory: the host user gets EACCES there. Root in this test gets
  // EPERM from an immutable directory instead; both take the `podman unshare` path.
  async function lockDirectory(target: string): Promise<boolean> {
    if (process.getuid?.() !== 0) {
      await chmod(target, 0o555)
      return true
    }
    const result = await execCommand('chattr', ['+i', target], { allowFailure: true })
    return result.exitCode === 0
  }
  async function unlockDirectory(target: string): Promise<void> {
    if (process.getuid?.() !== 0) await chmod(target, 0o755)
    else await execCommand('chattr', ['-i', target], { allowFailure: true })
  }

  it('makes directories and writes files as the namespace root, never following links', async (context) => {
    await mkdir(www(), { recursive: true })
    if (!(await lockDirectory(www()))) context.skip()
    try {
      const manifest = buildTestManifest('vault', {
        volumes: [WWW, { type: 'bind', source: `${PREFIX}/www/cache`, target: '/c', options: [] }],
        files: [
          { path: `${PREFIX}/www/app.ini`, content: '[core]\n', overwrite: false, mode: '0600' },
        ],
      })
      manifest.container.data_uid = 1000
      const script = 'dd of="$1" oflag=nofollow conv=excl status=none && chmod "$2" "$1"'
      const { created, stub } = await prepare(manifest, [
        { command: 'podman', args: ['unshare', 'mkdir', '-m', '0755', '--', www('cache')] },
        {
          command: 'podman',
          args: ['unshare', 'sh', '-c', script, 'sh', www('app.ini'), '0600'],
        },
        chownOf(1000, [www('cache'), www('app.ini')]),
      ])
      expect(created).toEqual([www('cache'), www('app.ini')])
      expect(stub.calls[1]?.options.input).toBe('[core]\n')
    } finally {
      await unlockDirectory(www())
    }
  })

  /** Runs prepareAppData with www locked, expecting it to fail; returns the error and calls. */
  async function prepareLocked(
    manifest: AppManifest,
    expectations: ExecExpectation[],
    context: { skip(): void },
  ): Promise<{ error: unknown; stub: StubExec }> {
    await mkdir(www(), { recursive: true })
    if (!(await lockDirectory(www()))) context.skip()
    const stub = createStubExec(expectations)
    try {
      const { spec } = buildContainerSpec(manifest, { dataRoot, values: {} })
      const error = await prepareAppData(manifest, spec, { dataRoot, exec: stub }).then(
        () => undefined,
        (caught: unknown) => caught,
      )
      stub.assertAllUsed()
      return { error, stub }
    } finally {
      await unlockDirectory(www())
    }
  }
  const isUnshareWrite =
    (file: string) =>
    (args: string[]): boolean =>
      args[0] === 'unshare' && args[1] === 'sh' && args.includes(file)

  it('names the file, its path and the cause when the write through podman unshare fails', async (context) => {
    const files = ['a.ini', 'b.ini', 'c.ini'].map((name) => ({
      path: `${PREFIX}/www/${name}`,
      content: `${name}\n`,
      overwrite: false,
    }))
    const manifest = buildTestManifest('vault', { volumes: [WWW], files })
    const full = `dd: failed to open '${www('b.ini')}': No space left on device`
    const { error, stub } = await prepareLocked(
      manifest,
      [
        { command: 'podman', args: isUnshareWrite(www('a.ini')) },
        {
          command: 'podman',
          args: isUnshareWrite(www('b.ini')),
          result: { exitCode: 1, stderr: `${full}\n` },
        },
      ],
      context,
    )
    expect(error).toBeInstanceOf(ArchyError)
    expect((error as ArchyError).code).toBe('io')
    expect((error as Error).message).toBe(
      `vault: app.files[1].path: cannot write ${www('b.ini')} as root of the user namespace ` +
        `(the app's uid owns its directory): podman unshare exited with 1: ${full}`,
    )
    // It stops there: files[2] is never written.
    expect(stub.calls).toHaveLength(2)
  })

  it('names the volume source when making its directory through podman unshare fails', async (context) => {
    const cache: Volume = { type: 'bind', source: `${PREFIX}/www/cache`, target: '/c', options: [] }
    const manifest = buildTestManifest('vault', { volumes: [WWW, cache] })
    const full = `mkdir: cannot create directory '${www('cache')}': Permission denied`
    const { error } = await prepareLocked(
      manifest,
      [
        {
          command: 'podman',
          args: ['unshare', 'mkdir', '-m', '0755', '--', www('cache')],
          result: { exitCode: 1, stderr: full },
        },
      ],
      context,
    )
    expect((error as Error).message).toBe(
      `vault: app.volumes[1].source: cannot create the directory ${www('cache')} as root of ` +
        `the user namespace (the app's uid owns its directory): podman unshare exited with 1: ${full}`,
    )
  })

  it('says when podman unshare times out, without its script', async (context) => {
    const manifest = buildTestManifest('vault', {
      volumes: [WWW],
      files: [{ path: `${PREFIX}/www/app.ini`, content: 'x\n', overwrite: false }],
    })
    const timeout = new ExecError(
      'exec-timeout',
      'podman',
      'podman unshare sh -c dd ...: timed out',
    )
    const { error } = await prepareLocked(
      manifest,
      [{ command: 'podman', args: isUnshareWrite(www('app.ini')), error: timeout }],
      context,
    )
    expect((error as Error).message).toMatch(
      /^vault: app\.files\[0\]\.path: cannot write .*app\.ini .*: podman unshare gave no answer within 60 s$/,
    )
    expect((error as Error).cause).toBe(timeout)
  })
})

describe('prepareAppData errors name the manifest field and the cause', () => {
  it('names data_uid when giving new entries to the app through podman unshare fails', async () => {
    const stub = createStubExec([
      {
        ...chownOf(1000, [www(), www('index.html')]),
        result: { exitCode: 125, stderr: 'Error: cannot re-exec process\n' },
      },
    ])
    const manifest = buildManifest([{}], 1000)
    const { spec } = buildContainerSpec(manifest, { dataRoot, values: {} })
    await expect(prepareAppData(manifest, spec, { dataRoot, exec: stub })).rejects.toThrow(
      `vault: app.container.data_uid: cannot give the 2 entries made now under ` +
        `${path.join(dataRoot, 'vault')} to uid 1000 in the user namespace: ` +
        'podman unshare exited with 125: Error: cannot re-exec process',
    )
  })

  it('names --data-root when the app directory cannot be made there', async () => {
    const file = path.join(dir, 'a-file')
    await writeFile(file, '')
    const manifest = buildManifest([])
    const { spec } = buildContainerSpec(manifest, { dataRoot: file, values: {} })
    const exec = createStubExec([])
    await expect(prepareAppData(manifest, spec, { dataRoot: file, exec })).rejects.toThrow(
      `--data-root: cannot make the app directory ${path.join(file, 'vault')}: ` +
        `EEXIST: file already exists, mkdir '${file}'`,
    )
  })
})
