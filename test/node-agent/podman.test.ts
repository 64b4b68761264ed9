// Tests for the Podman driver: argument shapes and output parsing through the stub exec seam,
// then the real thing on rootless Podman (image, network, secret, container lifecycle, health).
import {
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  chmodSync,
  copyFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createStubExec, execCommand } from '../../node-agent/exec.js'
import type { Exec, ExecOptions } from '../../node-agent/exec.js'
import { createPodman } from '../../node-agent/podman.js'
import { parseContainerList } from '../../node-agent/podman-output.js'
import { ArchyError, ExecError, ValidationError } from '../../src/errors.js'
import {
  describePodman,
  podmanAsTestUser,
  podmanReadiness,
  prepareReadableCopy,
  repoRoot,
  runArchyAsTestUser,
} from '../support/podman-user.js'

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

describePodman('createPodman (rootless Podman)', () => {
  const tag = `archy-drv-${process.pid}`
  const image = 'localhost/archy-busybox:1'
  const calls: string[][] = []
  let scratch = ''
  let asUser: Exec

  // Records every argv, so the test can prove a secret value never appears in one.
  const recording: Exec = (command, args, options?: ExecOptions) => {
    calls.push([command, ...args])
    return asUser(command, args, options)
  }
  const podman = createPodman({ exec: recording })

  beforeAll(async () => {
    asUser = podmanAsTestUser()
    scratch = mkdtempSync(join(tmpdir(), 'archy-podman-'))
    chmodSync(scratch, 0o755)
    const archive = join(repoRoot, 'examples/images/out/busybox.tar')
    if (!existsSync(archive))
      await execCommand('bash', [join(repoRoot, 'examples/images/build.sh')])
    copyFileSync(archive, join(scratch, 'busybox.tar'))
    chmodSync(join(scratch, 'busybox.tar'), 0o644)
  })

  afterAll(async () => {
    for (const name of [`${tag}-web`, `${tag}-secret`, `${tag}-health`]) {
      await asUser('podman', ['rm', '--force', '--ignore', '--time', '0', name])
    }
    await asUser('podman', ['secret', 'rm', `${tag}-key`], { allowFailure: true })
    await asUser('podman', ['network', 'rm', `${tag}-net`], { allowFailure: true })
    await asUser('podman', ['rmi', `localhost/${tag}:1`], { allowFailure: true })
    rmSync(scratch, { recursive: true, force: true })
  })

  it('reports a version and rootless info', async () => {
    expect(await podman.version()).toMatch(/^\d+\.\d+\.\d+/)
    const info = await podman.info()
    expect(info.rootless).toBe(true)
    expect(['v1', 'v2']).toContain(info.cgroupVersion)
    // Podman 4 and 5 list the delegated controllers on cgroup v2 (none are listed on v1).
    if (info.cgroupVersion === 'v2') expect(info.cgroupControllers).toEqual(expect.any(Array))
  })

  it('loads the example archive and tags it', async () => {
    expect(await podman.loadImage(join(scratch, 'busybox.tar'))).toEqual([image])
    expect(await podman.imageExists(image)).toBe(true)
    expect(await podman.imageExists(`localhost/${tag}:1`)).toBe(false)
    await podman.tagImage(image, `localhost/${tag}:1`)
    expect(await podman.imageExists(`localhost/${tag}:1`)).toBe(true)
  })

  it('reads image IDs and removes one name without removing the image', async () => {
    const id = await podman.imageId(image)
    expect(id).toMatch(/^[0-9a-f]{64}$/)
    await podman.tagImage(id!, `localhost/${tag}:2`)
    expect(await podman.imageId(`localhost/${tag}:2`)).toBe(id)
    await podman.untagImage(`localhost/${tag}:2`)
    expect(await podman.imageId(`localhost/${tag}:2`)).toBeUndefined()
    expect(await podman.imageId(image)).toBe(id)
  })

  it('removes a named volume, and a missing one is fine', async () => {
    await asUser('podman', ['volume', 'create', `${tag}-vol`])
    await podman.removeVolume(`${tag}-vol`)
    await podman.removeVolume(`${tag}-vol`)
    const left = await asUser('podman', ['volume', 'exists', `${tag}-vol`], { allowFailure: true })
    expect(left.exitCode).toBe(1)
  })

  it('creates a network idempotently', async () => {
    expect(await podman.networkExists(`${tag}-net`)).toBe(false)
    await podman.createNetwork(`${tag}-net`)
    await podman.createNetwork(`${tag}-net`)
    expect(await podman.networkExists(`${tag}-net`)).toBe(true)
  })

  it('creates a secret a container reads, without the value in any argv', async () => {
    const value = `value-${process.pid}-${Date.now()}`
    expect(await podman.secretExists(`${tag}-key`)).toBe(false)
    await podman.createSecret(`${tag}-key`, value)
    expect(await podman.secretExists(`${tag}-key`)).toBe(true)

    const secretRun = ['run', '--name', `${tag}-secret`, '--secret', `${tag}-key`, image]
    await podman.run([...secretRun, 'sleep', '600'])
    const read = await podman.exec(`${tag}-secret`, ['cat', `/run/secrets/${tag}-key`])
    expect(read.stdout).toBe(value)
    expect(calls.some((argv) => argv.some((arg) => arg.includes(value)))).toBe(false)

    await podman.stop(`${tag}-secret`, 0)
    await podman.remove(`${tag}-secret`)
    await podman.removeSecret(`${tag}-key`)
    await podman.removeSecret(`${tag}-key`)
    expect(await podman.secretExists(`${tag}-key`)).toBe(false)
  })

  it('runs, lists, stops, starts, execs in and removes a container', async () => {
    const name = `${tag}-web`
    const labels = ['--label', 'archy.test=driver']
    const id = await podman.run([
      'run',
      '--name',
      name,
      ...labels,
      '--network',
      `${tag}-net`,
      image,
      'sleep',
      '600',
    ])
    expect(id).toMatch(/^[0-9a-f]{64}$/)

    const listed = (await podman.listContainers()).find((container) => container.name === name)
    expect(listed).toMatchObject({
      id,
      state: 'running',
      image,
      labels: { 'archy.test': 'driver' },
    })
    expect(Date.now() - Date.parse(listed?.createdAt ?? '')).toBeLessThan(120_000)

    await podman.stop(name, 0)
    expect((await podman.listContainers()).find((c) => c.name === name)?.state).toBe('exited')
    await podman.start(name)
    expect((await podman.listContainers()).find((c) => c.name === name)?.state).toBe('running')

    expect((await podman.exec(name, ['echo', 'hi'])).stdout).toBe('hi\n')
    expect((await podman.exec(name, ['sh', '-c', 'exit 3'])).exitCode).toBe(3)

    await podman.stop(name, 0)
    await podman.remove(name)
    await podman.remove(name)
    expect((await podman.listContainers()).some((c) => c.name === name)).toBe(false)
    await expect(podman.start(name)).rejects.toMatchObject({ code: 'exec-failed' })
  })

  it('runs a health check once on demand', async () => {
    const name = `${tag}-health`
    await podman.run([
      'run',
      '--name',
      name,
      '--health-cmd',
      'test -e /tmp/ok',
      image,
      'sleep',
      '600',
    ])
    expect(await podman.healthcheck(name)).toBe(false)
    await podman.exec(name, ['touch', '/tmp/ok'])
    expect(await podman.healthcheck(name)).toBe(true)
    await podman.stop(name, 0)
    await podman.remove(name)
  })

  it('chowns a directory inside the user namespace', async () => {
    const dir = join(scratch, 'data')
    mkdirSync(dir)
    const uid = podmanReadiness().uid ?? 0
    if (process.getuid?.() === 0) chownSync(dir, uid, uid)
    await podman.unshareChown(dir, 1000, 1000)
    const user = podmanReadiness().user ?? ''
    const line = readFileSync('/etc/subuid', 'utf8')
      .split('\n')
      .find((l) => l.startsWith(`${user}:`))
    const start = Number(line?.split(':')[1])
    // Inside uid 0 is the user itself and uid N (N >= 1) is subuid start + N - 1.
    if (process.getuid?.() === 0) expect(statSync(dir).uid).toBe(start + 999)
    await expect(podman.unshareChown(dir, -1, 0)).rejects.toBeInstanceOf(ValidationError)
  })
})

describePodman('runArchyAsTestUser', () => {
  it('runs the built CLI from a copy the test user can read', async () => {
    const copy = await prepareReadableCopy()
    expect(await prepareReadableCopy()).toBe(copy)
    expect(statSync(copy).mode & 0o777).toBe(0o755)

    const help = await runArchyAsTestUser(['--help'])
    expect(help).toMatchObject({ code: 0, stderr: '' })
    expect(help.stdout).toContain('Usage: archy')

    const whoami = await podmanAsTestUser()('sh', ['-c', 'id -un; echo "$XDG_RUNTIME_DIR"'])
    expect(whoami.stdout).toBe(`${podmanReadiness().user}\n${podmanReadiness().runtimeDir}\n`)
  })
})
