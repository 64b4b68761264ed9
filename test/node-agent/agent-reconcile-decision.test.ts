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
/** Archy labels as made before the agent label existed. */
const ours = (hash: string): Record<string, string> => ({
  'archy.app': 'app',
  'archy.config-hash': hash,
  'archy.managed': 'true',
})
const THIS_AGENT = 'a'.repeat(64)
const OTHER_AGENT = 'b'.repeat(64)
const labelledBy = (agent: string, hash: string): Record<string, string> => ({
  ...ours(hash),
  'archy.agent': agent,
})

const base: MemberObservation = {
  appId: 'app',
  agentId: THIS_AGENT,
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
    [
      "does nothing for this agent's running container with the same hash",
      { recordedHash: 'h1', container: container('running', labelledBy(THIS_AGENT, 'h1')) },
      [],
    ],
    [
      "recreates this agent's container when the config hash changed",
      { recordedHash: 'h0', container: container('running', labelledBy(THIS_AGENT, 'h0')) },
      ['recreate'],
    ],
  ]
  for (const [behaviour, observation, steps] of cases) {
    it(behaviour, () => {
      const decision = decideMember({ ...base, ...observation })
      expect(decision.steps).toEqual(steps)
      expect(decision.otherAgent).toBeUndefined()
    })
  }

  // Another agent state's container: no step at all, whatever this state wants or recorded.
  const refusals: [string, Partial<MemberObservation>][] = [
    ['running, same hash', { container: container('running', labelledBy(OTHER_AGENT, 'h1')) }],
    ['running, other hash', { container: container('running', labelledBy(OTHER_AGENT, 'h0')) }],
    ['exited', { container: container('exited', labelledBy(OTHER_AGENT, 'h1')) }],
    [
      'running while stopped is wanted',
      { desired: 'stopped', container: container('running', labelledBy(OTHER_AGENT, 'h1')) },
    ],
    [
      'recorded as adopted here',
      {
        adopted: true,
        recordedHash: 'h1',
        container: container('running', labelledBy(OTHER_AGENT, 'h0')),
      },
    ],
    ['labelled by another agent only', { container: container('running', { 'archy.agent': '' }) }],
  ]
  for (const [behaviour, observation] of refusals) {
    it(`refuses another agent state's container (${behaviour})`, () => {
      const decision = decideMember({ ...base, ...observation })
      expect(decision.steps).toEqual([])
      expect(decision.otherAgent).toBe(observation.container!.labels['archy.agent'])
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
