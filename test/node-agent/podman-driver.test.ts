// The Podman driver through the stub exec seam: argument shapes, exit-code mapping and output
// parsing, without Podman.
import { describe, expect, it } from 'vitest'

import { createStubExec } from '../../node-agent/exec.js'
import type { Exec } from '../../node-agent/exec.js'
import { createPodman } from '../../node-agent/podman.js'
import { parseContainerList } from '../../node-agent/podman-output.js'
import { ArchyError, ExecError, ValidationError } from '../../src/errors.js'

const PS_OUTPUT = JSON.stringify([
  {
    Id: 'eaccf64d0c61',
    Names: ['web'],
    State: 'running',
    Image: 'localhost/archy-busybox:1',
    Labels: { 'archy.app': 'web' },
    Created: 1796326051,
    CreatedAt: 'Less than a second ago',
  },
  { Id: 'b0b0', Names: ['db'], State: 'exited', Image: 'x', Labels: null },
])

describe('createPodman (stubbed exec)', () => {
  it('passes a secret value only in the child environment, redacted', async () => {
    const exec = createStubExec([
      { command: 'podman', args: ['secret', 'create', '--env', 'notes-key', 'ARCHY_SECRET_VALUE'] },
    ])
    await createPodman({ exec }).createSecret('notes-key', 'v3ry-secret')
    const call = exec.calls[0]
    expect(call?.args.join(' ')).not.toContain('v3ry-secret')
    expect(call?.options.env).toEqual({ ARCHY_SECRET_VALUE: 'v3ry-secret' })
    expect(call?.options.redact).toEqual(['v3ry-secret'])
    exec.assertAllUsed()
  })

  it('lists containers with one ps call', async () => {
    const exec = createStubExec([
      { command: 'podman', args: ['ps', '-a', '--format', 'json'], result: { stdout: PS_OUTPUT } },
    ])
    const containers = await createPodman({ exec }).listContainers()
    expect(containers).toEqual([
      {
        id: 'eaccf64d0c61',
        name: 'web',
        state: 'running',
        image: 'localhost/archy-busybox:1',
        labels: { 'archy.app': 'web' },
        createdAt: '2026-12-03T19:27:31.000Z',
      },
      { id: 'b0b0', name: 'db', state: 'exited', image: 'x', labels: {}, createdAt: '' },
    ])
    exec.assertAllUsed()
  })

  it('makes every run detached and returns the id', async () => {
    const exec = createStubExec([
      {
        command: 'podman',
        args: ['run', '--detach', '--name', 'a', 'img'],
        result: { stdout: 'abc123def4567\n' },
      },
      {
        command: 'podman',
        args: ['run', '-d', '--name', 'b', 'img'],
        result: { stdout: 'abc123def4568\n' },
      },
    ])
    const podman = createPodman({ exec })
    expect(await podman.run(['run', '--name', 'a', 'img'])).toBe('abc123def4567')
    expect(await podman.run(['run', '-d', '--name', 'b', 'img'])).toBe('abc123def4568')
    exec.assertAllUsed()
  })

  it('runs one container at a time', async () => {
    let active = 0
    let most = 0
    const exec: Exec = async () => {
      active += 1
      most = Math.max(most, active)
      await new Promise((resolve) => setTimeout(resolve, 20))
      active -= 1
      return { stdout: 'abcdef0123456\n', stderr: '', exitCode: 0, durationMs: 20 }
    }
    const podman = createPodman({ exec })
    await Promise.all([
      podman.run(['run', 'x']),
      podman.run(['run', 'y']),
      podman.run(['run', 'z']),
    ])
    expect(most).toBe(1)
  })

  it.each([
    [['create', 'img'], ValidationError, "args[0]: expected 'run', got 'create'"],
    [[], ValidationError, "args[0]: expected 'run', got ''"],
  ])('refuses run args %j', async (args, type, message) => {
    const exec = createStubExec([])
    const run = createPodman({ exec }).run(args)
    await expect(run).rejects.toBeInstanceOf(type)
    await expect(run).rejects.toThrow(message)
  })

  it('refuses a run whose output is not a container id', async () => {
    const exec = createStubExec([
      { command: 'podman', args: () => true, result: { stdout: 'oops\n' } },
    ])
    await expect(createPodman({ exec }).run(['run', 'x'])).rejects.toThrow("got 'oops'")
  })

  it('maps exists, secret and health check exit codes', async () => {
    const exec = createStubExec([
      { command: 'podman', args: ['image', 'exists', 'a'], result: { exitCode: 0 } },
      { command: 'podman', args: ['image', 'exists', 'b'], result: { exitCode: 1 } },
      {
        command: 'podman',
        args: ['image', 'exists', 'c'],
        result: { exitCode: 125, stderr: 'boom' },
      },
      {
        command: 'podman',
        args: ['secret', 'inspect', 's'],
        result: { exitCode: 125, stderr: 'Error: no such secret' },
      },
      { command: 'podman', args: ['healthcheck', 'run', 'h'], result: { exitCode: 1 } },
      {
        command: 'podman',
        args: ['healthcheck', 'run', 'n'],
        result: { exitCode: 125, stderr: 'no defined healthcheck' },
      },
      {
        command: 'podman',
        args: ['healthcheck', 'run', 'slow'],
        result: { exitCode: 125, stderr: 'Error: healthcheck command exceeded timeout of 1s' },
      },
    ])
    const podman = createPodman({ exec })
    expect(await podman.imageExists('a')).toBe(true)
    expect(await podman.imageExists('b')).toBe(false)
    await expect(podman.imageExists('c')).rejects.toThrow(
      'podman image exists c: exited with 125: boom',
    )
    expect(await podman.secretExists('s')).toBe(false)
    expect(await podman.healthcheck('h')).toBe(false)
    await expect(podman.healthcheck('n')).rejects.toBeInstanceOf(ExecError)
    // A check slower than its timeout is unhealthy, as Podman itself counts it.
    expect(await podman.healthcheck('slow')).toBe(false)
    exec.assertAllUsed()
  })

  it('reports the images podman load names', async () => {
    const exec = createStubExec([
      {
        command: 'podman',
        args: ['load', '--input', '/x.tar'],
        result: { stdout: 'Loaded image(s): localhost/a:1, localhost/b:2\n' },
      },
      {
        command: 'podman',
        args: ['load', '--input', '/y.tar'],
        result: { stdout: 'Getting image\n' },
      },
    ])
    const podman = createPodman({ exec })
    expect(await podman.loadImage('/x.tar')).toEqual(['localhost/a:1', 'localhost/b:2'])
    await expect(podman.loadImage('/y.tar')).rejects.toThrow('no image reported')
  })
})

describe('createPodman images and volumes (stubbed exec)', () => {
  const ID = 'f'.repeat(64)
  const inspectArgs = (ref: string): string[] => ['image', 'inspect', '--format', '{{.Id}}', ref]

  it('reads an image ID, undefined for an unknown image, and fails on anything else', async () => {
    const exec = createStubExec([
      { command: 'podman', args: inspectArgs('a'), result: { stdout: `${ID}\n` } },
      {
        command: 'podman',
        args: inspectArgs('b'),
        result: { exitCode: 125, stderr: 'Error: b: image not known' },
      },
      { command: 'podman', args: inspectArgs('c'), result: { exitCode: 125, stderr: 'boom' } },
      { command: 'podman', args: inspectArgs('d'), result: { stdout: 'sha256:nope\n' } },
    ])
    const podman = createPodman({ exec })
    expect(await podman.imageId('a')).toBe(ID)
    expect(await podman.imageId('b')).toBeUndefined()
    await expect(podman.imageId('c')).rejects.toThrow(
      'podman image inspect --format {{.Id}} c: exited with 125: boom',
    )
    await expect(podman.imageId('d')).rejects.toThrow(
      'podman image inspect d: expected an image ID, got sha256:nope',
    )
    exec.assertAllUsed()
  })

  it('untags one name only (never every name of the image)', async () => {
    const exec = createStubExec([
      { command: 'podman', args: ['untag', 'localhost/x:1', 'localhost/x:1'] },
    ])
    await createPodman({ exec }).untagImage('localhost/x:1')
    exec.assertAllUsed()
  })

  it('removes a volume, accepts a missing one and fails while one is in use', async () => {
    const exec = createStubExec([
      { command: 'podman', args: ['volume', 'rm', 'v1'] },
      {
        command: 'podman',
        args: ['volume', 'rm', 'v2'],
        result: { exitCode: 1, stderr: 'Error: no volume with name "v2" found: no such volume' },
      },
      {
        command: 'podman',
        args: ['volume', 'rm', 'v3'],
        result: { exitCode: 2, stderr: 'Error: volume v3 is being used' },
      },
    ])
    const podman = createPodman({ exec })
    await podman.removeVolume('v1')
    await podman.removeVolume('v2')
    await expect(podman.removeVolume('v3')).rejects.toThrow(
      'podman volume rm v3: exited with 2: Error: volume v3 is being used',
    )
    exec.assertAllUsed()
  })
})

describe('createPodman start and networks (stubbed exec)', () => {
  it('takes "already running" as a started container, and fails on anything else', async () => {
    const running =
      'Error: unable to start container "x": cannot start an already running container'
    const exec = createStubExec([
      { command: 'podman', args: ['start', 'a'] },
      { command: 'podman', args: ['start', 'b'], result: { exitCode: 125, stderr: running } },
      { command: 'podman', args: ['start', 'c'], result: { exitCode: 125, stderr: 'Error: boom' } },
    ])
    const podman = createPodman({ exec })
    await podman.start('a')
    await podman.start('b')
    await expect(podman.start('c')).rejects.toThrow('podman start c: exited with 125: Error: boom')
    exec.assertAllUsed()
  })

  it('removes a network only when no container uses it', async () => {
    const inUse = 'Error: "n2" has associated containers with it. Use -f to forcibly delete'
    const exec = createStubExec([
      { command: 'podman', args: ['network', 'rm', 'n1'] },
      { command: 'podman', args: ['network', 'rm', 'n2'], result: { exitCode: 2, stderr: inUse } },
    ])
    const podman = createPodman({ exec })
    expect(await podman.removeUnusedNetwork('n1')).toBe(true)
    expect(await podman.removeUnusedNetwork('n2')).toBe(false)
    exec.assertAllUsed()
  })
})

describe('parseContainerList', () => {
  it.each([
    ['not json', 'podman ps: output is not JSON: not json'],
    ['{}', 'podman ps: expected an array, got {}'],
    ['[{"Names":["x"]}]', 'podman ps: expected entries with an Id'],
  ])('rejects %s', (stdout, message) => {
    expect(() => parseContainerList(stdout)).toThrow(ArchyError)
    expect(() => parseContainerList(stdout)).toThrow(message)
  })
})
