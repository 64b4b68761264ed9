// The settings documentation comes from the settings table: the README shows exactly that table.
import { readFileSync } from 'node:fs'

import { describe, expect, it } from 'vitest'

import { envName, NODE_SETTINGS } from '../../../src/config/node-config.js'
import { renderExampleEnv, renderSettingsTable } from '../../../src/config/settings-doc.js'
import { runCli } from '../../support/cli.js'

describe('renderSettingsTable', () => {
  it('is the table the README shows', () => {
    const readme = readFileSync('README.md', 'utf8')
    expect(readme).toContain(renderSettingsTable())
  })

  it('has one row per setting, naming its environment variable', () => {
    const table = renderSettingsTable()
    for (const key of Object.keys(NODE_SETTINGS)) expect(table).toContain(`\`${envName(key)}\``)
  })
})

describe('archy node settings', () => {
  it('prints the table, or with --env an example file every line of which is a comment', async () => {
    expect((await runCli(['node', 'settings'])).out).toBe(renderSettingsTable())
    const env = await runCli(['node', 'settings', '--env'])
    expect(env.out).toBe(renderExampleEnv())
    expect(env.out).toContain('# ARCHY_PORT=7777')
    expect(env.out.split('\n').every((line) => line === '' || line.startsWith('#'))).toBe(true)
  })
})
