// What an import makes of a store checkout's odd folders and files: links (never followed out
// of the store), folders it cannot read, nested stores and folders without an app; none is
// skipped silently.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process'
import { chmodSync, cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'

import { afterAll, describe, expect, it } from 'vitest'

import { importUmbrelApps } from '../../../../src/import/umbrel/import-umbrel.js'
import { formatNote, renderReport } from '../../../../src/import/umbrel/report.js'
import { runCli } from '../../../support/cli.js'
import { repoRoot } from '../../../support/podman-user.js'
import { UMBREL_APPS } from '../../../support/umbrel-apps.js'

const root = mkdtempSync(path.join(tmpdir(), 'archy-umbrel-folders-'))
afterAll(() => {
  chmodSync(path.join(root, 'store', 'locked'), 0o755)
  rmSync(root, { recursive: true, force: true })
})

// A store of one real app, a link to another app outside it, a locked folder, a nested store.
const store = path.join(root, 'store')
mkdirSync(store)
cpSync(path.join(UMBREL_APPS, 'vaultwarden'), path.join(store, 'vaultwarden'), { recursive: true })
symlinkSync(path.join(UMBREL_APPS, 'jellyfin'), path.join(store, 'jellyfin'))
cpSync(path.join(UMBREL_APPS, 'lnbits'), path.join(store, 'locked'), { recursive: true })
chmodSync(path.join(store, 'locked'), 0)
cpSync(path.join(UMBREL_APPS, '_community-template'), path.join(store, '_community-template'), {
  recursive: true,
})
mkdirSync(path.join(store, 'scripts'))

const isRoot = process.getuid?.() === 0

/** Runs the built `archy` as root without CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH. */
function runWithoutDacOverride(args: string[]): SpawnSyncReturns<string> {
  const cli = path.join(repoRoot, 'bin/archy.js')
  const drop = '--bounding-set=-dac_override,-dac_read_search'
  const result = spawnSync('setpriv', [drop, '--', process.execPath, cli, ...args], {
    encoding: 'utf8',
    timeout: 60_000,
  })
  if (result.error) throw result.error
  return result
}

describe('importUmbrelApps on a store checkout', () => {
  it('refuses a linked app folder by name, and reports a nested store as skipped', async () => {
    const apps = await importUmbrelApps(store)
    const byId = new Map(apps.map((app) => [app.umbrelId, app]))
    expect(byId.get('vaultwarden')?.status).toBe('converted')
    expect(byId.get('jellyfin')?.status).toBe('refused')
    expect(byId.get('jellyfin')?.refusals.map(formatNote)).toEqual([
      `folder jellyfin: is a symbolic link to ${path.join(UMBREL_APPS, 'jellyfin')}; app ` +
        'folders that are links are not followed',
    ])
    const nested = byId.get('_community-template')!
    expect(nested.status).toBe('skipped')
    expect(nested.leftOut.map(formatNote)).toEqual([
      'folder _community-template: is an app store of its own (umbrel-app-store.yml); its apps ' +
        'are not imported with this one: run archy app import umbrel ' +
        path.join(store, '_community-template'),
    ])
    expect(byId.get('scripts')?.leftOut.map(formatNote)).toEqual([
      'folder scripts: holds no umbrel-app.yml',
    ])
    expect(renderReport(apps)).toContain('folders skipped')
  })

  it('refuses a folder it cannot read, naming it', async () => {
    if (!isRoot) {
      const apps = await importUmbrelApps(store)
      const locked = apps.find((app) => app.umbrelId === 'locked')!
      expect(locked.status).toBe('refused')
      expect(locked.refusals.map(formatNote)).toEqual(['folder locked: cannot be read (EACCES)'])
      return
    }
    // Root reads any folder: the built CLI runs as root without the capabilities that bypass
    // permissions, so the locked folder answers EACCES as it would for any other user.
    const result = runWithoutDacOverride(['app', 'import', 'umbrel', store, '--out', root + '/o'])
    expect(result.status).toBe(1)
    expect(result.stdout).toContain(
      'locked: refused\n  refused:\n    - folder locked: cannot be read (EACCES)\n',
    )
  })

  it('exits 1 on a store with a refused folder', async () => {
    const out = path.join(root, 'out')
    const result = await runCli(['app', 'import', 'umbrel', store, '--out', out])
    expect(result.code).toBe(1)
    expect(result.out).toContain('jellyfin: refused\n')
    expect(result.out).toContain('_community-template: skipped\n')
  })
})

describe('importUmbrelApps on an app whose files are links', () => {
  const linkedApp = (name: string, file: string, target: string): string => {
    const dir = path.join(root, name)
    cpSync(path.join(UMBREL_APPS, 'vaultwarden'), dir, { recursive: true })
    rmSync(path.join(dir, file))
    symlinkSync(target, path.join(dir, file))
    return dir
  }

  it('refuses a docker-compose.yml linked outside the app folder without reading it', async () => {
    const dir = linkedApp('outside', 'docker-compose.yml', '/etc/passwd')
    const [app] = await importUmbrelApps(dir)
    expect(app!.status).toBe('refused')
    expect(app!.refusals.map(formatNote)).toEqual([
      'docker-compose.yml, file: is a symbolic link to /etc/passwd, outside the app folder; ' +
        'it is not read',
    ])
  })

  it('refuses an umbrel-app.yml link that leads nowhere, saying so', async () => {
    const dir = linkedApp('dangling', 'umbrel-app.yml', 'gone.yml')
    const [app] = await importUmbrelApps(dir)
    expect(app!.refusals.map(formatNote)).toEqual([
      'umbrel-app.yml, file: is a symbolic link to gone.yml, which does not exist',
    ])
  })

  it('reads a file linked inside the app folder', async () => {
    const dir = linkedApp('inside', 'docker-compose.yml', 'compose.real.yml')
    cpSync(path.join(UMBREL_APPS, 'vaultwarden', 'docker-compose.yml'),
      path.join(dir, 'compose.real.yml')) // prettier-ignore
    const [app] = await importUmbrelApps(dir)
    expect(app!.status).toBe('converted')
  })
})
