// The Podman driver on real rootless Podman: image, network, secret, container lifecycle,
// health; and the harness that runs the built CLI as the test user.
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
import { afterAll, beforeAll, expect, it } from 'vitest'
import { execCommand } from '../../node-agent/exec.js'
import type { Exec, ExecOptions } from '../../node-agent/exec.js'
import { createPodman } from '../../node-agent/podman.js'
import { ValidationError } from '../../src/errors.js'
import {
  describePodman,
  podmanAsTestUser,
  podmanReadiness,
  prepareReadableCopy,
  repoRoot,
  runArchyAsTestUser,
} from '../support/podman-user.js'

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
