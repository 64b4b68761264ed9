// The node's settings as documentation: the README's table and an example environment file are
// both printed from NODE_SETTINGS, so the docs cannot drift from the code.
import { envName, NODE_SETTINGS } from './node-config.js'

/** The Markdown table of every setting, as the README shows it. */
export function renderSettingsTable(): string {
  const rows = [
    '| key | flag | environment | default | restart | what |',
    '| --- | --- | --- | --- | --- | --- |',
  ]
  for (const [key, spec] of Object.entries(NODE_SETTINGS)) {
    const flag = spec.flag ? `\`${spec.flag}\`` : ''
    const shown = spec.defaultText ?? `\`${String(spec.default)}\``
    const restart = spec.restart ? 'yes' : 'no'
    rows.push(
      `| ${key} | ${flag} | \`${envName(key)}\` | ${shown} | ${restart} | ${spec.description} |`,
    )
  }
  return rows.join('\n')
}

/** An example environment file with every setting commented out at its default. */
export function renderExampleEnv(): string {
  const lines = ['# Archipelago registry node settings (environment overrides; flags win).']
  for (const [key, spec] of Object.entries(NODE_SETTINGS)) {
    lines.push('', `# ${spec.description} Must be ${spec.rule}.`)
    lines.push(`# ${envName(key)}=${spec.default === undefined ? '' : String(spec.default)}`)
  }
  return lines.join('\n')
}
