// The node's settings: defaults, `ARCHY_*` overrides, flags over the environment, and start-up
// errors that name the key and where the bad value came from.
import { describe, expect, it } from 'vitest'

import { NODE_SETTINGS, envName, loadNodeConfig } from '../../../src/config/node-config.js'

describe('loadNodeConfig', () => {
  it('uses the embedded defaults with no flags and no environment', () => {
    expect(loadNodeConfig({}, {})).toEqual({
      host: '127.0.0.1',
      port: 7777,
      data: './data',
      public_url: undefined,
      log_level: 'info',
      max_blob_bytes: 2 * 1024 ** 3,
      blob_quota_bytes: 10 * 1024 ** 3,
      blob_grace_seconds: 7 * 24 * 3600,
      app_owners: [],
      relay_accepted_kinds: [0, 3, 5, 1984, 1985, 10000, 10002, 22242, 30078, 30382],
      relay_app_data_namespaces: ['archipelago-app:', 'archipelago-catalog'],
      upstream_relays: [],
      relay_auth_writes: false,
      trusted_proxies: [],
      relay_max_future_seconds: 900,
      relay_max_past_seconds: 0,
      relay_negentropy_sessions: 4,
      relay_negentropy_max_events: 500_000,
      relay_negentropy_frame_bytes: 60_000,
      relay_ip_messages_per_second: 200,
      relay_key_events_per_second: 20,
    })
  })

  it('reads ARCHY_UPSTREAM_RELAYS and ARCHY_RELAY_AUTH_WRITES', () => {
    const env = {
      ARCHY_UPSTREAM_RELAYS: 'wss://relay.example/, ws://127.0.0.1:7778',
      ARCHY_RELAY_AUTH_WRITES: 'true',
    }
    expect(loadNodeConfig({}, env)).toMatchObject({
      upstream_relays: ['wss://relay.example/', 'ws://127.0.0.1:7778'],
      relay_auth_writes: true,
    })
  })

  it.each([
    [
      { ARCHY_UPSTREAM_RELAYS: 'https://relay.example' },
      /^upstream_relays \(ARCHY_UPSTREAM_RELAYS\): must be a comma-separated list of ws:/,
    ],
    [
      { ARCHY_UPSTREAM_RELAYS: 'wss://operator:secret@relay.example' },
      /^upstream_relays \(ARCHY_UPSTREAM_RELAYS\): must be .* without user names or passwords/,
    ],
    [
      { ARCHY_UPSTREAM_RELAYS: 'relay.example' },
      /^upstream_relays \(ARCHY_UPSTREAM_RELAYS\): must be /,
    ],
    [
      { ARCHY_RELAY_AUTH_WRITES: 'yes' },
      /^relay_auth_writes \(ARCHY_RELAY_AUTH_WRITES\): must be true or false, got "yes"$/,
    ],
  ])('refuses %j naming the key and the rule', (env, message) => {
    expect(() => loadNodeConfig({}, env)).toThrow(message)
  })

  it('reads ARCHY_TRUSTED_PROXIES as a list of IP addresses and CIDR ranges', () => {
    const env = { ARCHY_TRUSTED_PROXIES: '127.0.0.1, ::1,10.88.0.0/16, fd00::/8' }
    expect(loadNodeConfig({}, env)).toMatchObject({
      trusted_proxies: ['127.0.0.1', '::1', '10.88.0.0/16', 'fd00::/8'],
    })
  })

  it.each(['localhost', '127.0.0.1,10.0.0.0/33', '300.1.1.1', '10.0.0.0/8/8', '::/129'])(
    'refuses ARCHY_TRUSTED_PROXIES=%j naming the key and the rule',
    (value) => {
      expect(() => loadNodeConfig({}, { ARCHY_TRUSTED_PROXIES: value })).toThrow(
        /^trusted_proxies \(ARCHY_TRUSTED_PROXIES\): must be a comma-separated list of IP addresses or CIDR ranges/,
      )
    },
  )

  it('reads the relay limits from ARCHY_RELAY_* numbers', () => {
    const env = {
      ARCHY_RELAY_MAX_FUTURE_SECONDS: '60',
      ARCHY_RELAY_MAX_PAST_SECONDS: '94608000',
      ARCHY_RELAY_NEGENTROPY_SESSIONS: '0',
      ARCHY_RELAY_NEGENTROPY_MAX_EVENTS: '1000',
      ARCHY_RELAY_NEGENTROPY_FRAME_BYTES: '4096',
      ARCHY_RELAY_IP_MESSAGES_PER_SECOND: '0',
      ARCHY_RELAY_KEY_EVENTS_PER_SECOND: '5',
    }
    expect(loadNodeConfig({}, env)).toMatchObject({
      relay_max_future_seconds: 60,
      relay_max_past_seconds: 94_608_000,
      relay_negentropy_sessions: 0,
      relay_negentropy_max_events: 1000,
      relay_negentropy_frame_bytes: 4096,
      relay_ip_messages_per_second: 0,
      relay_key_events_per_second: 5,
    })
  })

  it.each([
    [
      { ARCHY_RELAY_MAX_FUTURE_SECONDS: '15m' },
      'relay_max_future_seconds (ARCHY_RELAY_MAX_FUTURE_SECONDS): must be a whole number of ' +
        'seconds, 0 (no bound) or at least 60, got "15m"',
    ],
    [
      { ARCHY_RELAY_MAX_FUTURE_SECONDS: '30' },
      'relay_max_future_seconds (ARCHY_RELAY_MAX_FUTURE_SECONDS): must be a whole number of ' +
        'seconds, 0 (no bound) or at least 60, got 30',
    ],
    [
      { ARCHY_RELAY_MAX_PAST_SECONDS: '-1' },
      'relay_max_past_seconds (ARCHY_RELAY_MAX_PAST_SECONDS): must be a whole number of ' +
        'seconds (0 sets no bound), got "-1"',
    ],
    [
      { ARCHY_RELAY_NEGENTROPY_SESSIONS: 'four' },
      'relay_negentropy_sessions (ARCHY_RELAY_NEGENTROPY_SESSIONS): must be a whole number ' +
        '(0 turns NIP-77 off), got "four"',
    ],
    [
      { ARCHY_RELAY_NEGENTROPY_MAX_EVENTS: '0' },
      'relay_negentropy_max_events (ARCHY_RELAY_NEGENTROPY_MAX_EVENTS): must be a positive ' +
        'integer (events), got 0',
    ],
    [
      { ARCHY_RELAY_NEGENTROPY_FRAME_BYTES: '1024' },
      'relay_negentropy_frame_bytes (ARCHY_RELAY_NEGENTROPY_FRAME_BYTES): must be an integer ' +
        'of at least 4096 (bytes of binary message), got 1024',
    ],
  ])('refuses the relay limit %j naming the key and the rule', (env, message) => {
    expect(() => loadNodeConfig({}, env)).toThrow(message)
  })

  it('reads the relay write policy from ARCHY_RELAY_* lists', () => {
    const env = {
      ARCHY_RELAY_ACCEPTED_KINDS: '1, 7,30078',
      ARCHY_RELAY_APP_DATA_NAMESPACES: 'archipelago-app:,archipelago-catalog,my-app',
    }
    const config = loadNodeConfig({}, env)
    expect(config.relay_accepted_kinds).toEqual([1, 7, 30078])
    expect(config.relay_app_data_namespaces).toEqual([
      'archipelago-app:',
      'archipelago-catalog',
      'my-app',
    ])
  })

  it.each(['myns', 'archipelago-app:,my-app', ' , '])(
    'refuses ARCHY_RELAY_APP_DATA_NAMESPACES=%j without the catalog namespace, naming the rule',
    (value) => {
      expect(() => loadNodeConfig({}, { ARCHY_RELAY_APP_DATA_NAMESPACES: value })).toThrow(
        /^relay_app_data_namespaces \(ARCHY_RELAY_APP_DATA_NAMESPACES\): must be .* that includes archipelago-catalog \(the node's own catalog announcements\), got /,
      )
    },
  )

  it.each([
    ['a kind above 65535', '1,65536'],
    ['a word', '1,note'],
    ['nothing', ' , '],
    ['no 30078 (releases and catalog announcements)', '0,3,5'],
  ])('refuses ARCHY_RELAY_ACCEPTED_KINDS with %s, naming the key', (_name, value) => {
    expect(() => loadNodeConfig({}, { ARCHY_RELAY_ACCEPTED_KINDS: value })).toThrow(
      'relay_accepted_kinds (ARCHY_RELAY_ACCEPTED_KINDS): must be a comma-separated list of ' +
        "event kinds, integers from 0 to 65535, that includes 30078 (releases and the node's " +
        'own catalog announcements)',
    )
  })

  it('reads ARCHY_APP_OWNERS as a comma-separated list of id@<did>', () => {
    const did = 'did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK'
    const env = { ARCHY_APP_OWNERS: ` photo-vault@${did}, notes@${did} ` }
    expect(loadNodeConfig({}, env).app_owners).toEqual([`photo-vault@${did}`, `notes@${did}`])
  })

  it('reads ARCHY_* overrides and lets flags win over them', () => {
    const env = { ARCHY_PORT: '8080', ARCHY_HOST: '127.0.0.2', ARCHY_DATA: '/srv/data' }
    expect(loadNodeConfig({}, env)).toMatchObject({
      port: 8080,
      host: '127.0.0.2',
      data: '/srv/data',
    })
    expect(loadNodeConfig({ port: 9000 }, env).port).toBe(9000)
  })

  it.each([
    [{ ARCHY_PORT: '80a' }, /^port \(ARCHY_PORT\): must be an integer from 0 to 65535, got "80a"$/],
    [{ ARCHY_PORT: '70000' }, /^port \(ARCHY_PORT\): must be an integer from 0 to 65535/],
    [{ ARCHY_LOG_LEVEL: 'loud' }, /^log_level \(ARCHY_LOG_LEVEL\): must be one of fatal, /],
    [{ ARCHY_PUBLIC_URL: 'ftp://x' }, /^public_url \(ARCHY_PUBLIC_URL\): must be an http/],
    [{ ARCHY_MAX_BLOB_BYTES: '0' }, /^max_blob_bytes \(ARCHY_MAX_BLOB_BYTES\): must be a positive/],
    [{ ARCHY_APP_OWNERS: 'photo-vault' }, /^app_owners \(ARCHY_APP_OWNERS\): must be a comma-/],
    [
      {
        ARCHY_APP_OWNERS:
          'a@did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK,' +
          'a@did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK',
      },
      /^app_owners \(ARCHY_APP_OWNERS\): must be .*each id at most once/,
    ],
  ])('refuses %o naming the key', (env, message) => {
    expect(() => loadNodeConfig({}, env)).toThrow(message)
  })

  it('names a bad flag value by its key', () => {
    expect(() => loadNodeConfig({ port: -1 }, {})).toThrow(/^port: must be an integer/)
  })

  it('documents every key with a description, a restart flag and an ARCHY_ variable', () => {
    for (const [key, spec] of Object.entries(NODE_SETTINGS)) {
      expect(spec.description.length).toBeGreaterThan(10)
      expect(typeof spec.restart).toBe('boolean')
      expect(envName(key)).toMatch(/^ARCHY_[A-Z_]+$/)
    }
  })
})
