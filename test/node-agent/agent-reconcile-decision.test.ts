// The reconciler's per-app decision: every case of DESIGN.md §5 as a table row.
import { describe, expect, it } from 'vitest'

import type { PodmanContainer } from '../../node-agent/podman.js'
import {
  decideMember,
  findMemberContainer,
  type MemberObservation,
} from '../../node-agent/reconcile-decision.js'

function container(
  state: string,
  labels: Record<string, string> = {},
  name = 'app',
): PodmanContainer {
  return { id: 'a'.repeat(64), name, state, image: 'img', labels, createdAt: '' }
}
const ours = (hash: string): Record<string, string> => ({
  'archy.app': 'app',
  'archy.config-hash': hash,
  'archy.managed': 'true',
})

const base: MemberObservation = {
  appId: 'app',
  desired: 'running',
  configHash: 'h1',
  adopted: false,
  recordedHash: null,
}

describe('decideMember', () => {
  const cases: [string, Partial<MemberObservation>, string[]][] = [
    ['creates a missing container when running is wanted', {}, ['create']],
    ['leaves a missing container alone when stopped is wanted', { desired: 'stopped' }, []],
    [
      'does nothing for a running container with the same hash',
      { recordedHash: 'h1', container: container('running', ours('h1')) },
      [],
    ],
    [
      'starts an exited container with the same hash',
      { recordedHash: 'h1', container: container('exited', ours('h1')) },
      ['start'],
    ],
    [
      'recreates a container whose create never recorded its hash (hooks cut off)',
      { recordedHash: null, container: container('running', ours('h1')) },
      ['recreate'],
    ],
    [
      'recreates a container with the desired hash when the store recorded an older one',
      { recordedHash: 'h0', container: container('exited', ours('h1')) },
      ['recreate'],
    ],
    [
      'leaves an unfinished container stopped when stopped is wanted',
      { desired: 'stopped', recordedHash: null, container: container('exited', ours('h1')) },
      [],
    ],
    [
      'recreates when the config hash changed',
      { container: container('running', ours('h0')) },
      ['recreate'],
    ],
    [
      'recreates a stopped container whose hash changed',
      { container: container('exited', ours('h0')) },
      ['recreate'],
    ],
    [
      'stops a running container when stopped is wanted',
      { desired: 'stopped', container: container('running', ours('h0')) },
      ['stop'],
    ],
    [
      'adopts a foreign container of the same name without recreating it',
      { container: container('running') },
      ['adopt'],
    ],
    [
      'adopts and starts a foreign exited container',
      { container: container('exited') },
      ['adopt', 'start'],
    ],
    [
      'adopts and stops a foreign running container when stopped is wanted',
      { desired: 'stopped', container: container('running') },
      ['adopt', 'stop'],
    ],
    [
      'keeps an adopted container whose recorded hash is current',
      { adopted: true, recordedHash: 'h1', container: container('running') },
      [],
    ],
    [
      'recreates an adopted container once the config changes',
      { adopted: true, recordedHash: 'h0', container: container('running') },
      ['recreate'],
    ],
  ]
  for (const [behaviour, observation, steps] of cases) {
    it(behaviour, () => {
      expect(decideMember({ ...base, ...observation }).steps).toEqual(steps)
    })
  }
})

describe('findMemberContainer', () => {
  const list = [
    container('running', {}, 'old_app'),
    container('running', { 'archy.app': 'other' }, 'other'),
    container('exited', { 'archy.app': 'labelled' }, 'renamed'),
  ]

  it('finds by app id first, then recorded name, legacy names and the app label', () => {
    expect(
      findMemberContainer([...list, container('running', {}, 'app')], 'app', { legacy: [] })?.name,
    ).toBe('app')
    expect(findMemberContainer(list, 'app', { recorded: 'other', legacy: [] })?.name).toBe('other')
    expect(findMemberContainer(list, 'app', { legacy: ['gone', 'old_app'] })?.name).toBe('old_app')
    expect(findMemberContainer(list, 'labelled', { legacy: [] })?.name).toBe('renamed')
  })

  it('finds nothing when no rule matches', () => {
    expect(findMemberContainer(list, 'app', { legacy: ['gone'] })).toBeUndefined()
  })
})
