// What an Umbrel import says about each app: what became which manifest, what was left out and
// why, what needs the publisher's decision, and why an app was refused. Rendered as plain text.

/** One line of the report: where it comes from (a service, or a file) and the compose key. */
export interface ImportNote {
  /** The compose service, or `umbrel-app.yml` / `app_proxy` for app-level notes. */
  source: string
  key: string
  message: string
}

export interface ImportedManifest {
  /** In the output directory: `<app id>/manifest.yml` or `<app id>/<member id>.manifest.yml`. */
  file: string
  document: { app: Record<string, unknown> }
}

export interface AppImport {
  /** The Umbrel app id, as umbrel-app.yml gives it. */
  umbrelId: string
  /** The Archipelago id of the primary manifest. */
  appId: string
  directory: string
  /** `skipped`: a store folder that is no app; the reason is its one left-out note. */
  status: 'converted' | 'refused' | 'skipped'
  manifests: ImportedManifest[]
  converted: ImportNote[]
  leftOut: ImportNote[]
  decisions: ImportNote[]
  refusals: ImportNote[]
}

/** Collects the notes of one app while it is converted. */
export class NoteSink {
  readonly converted: ImportNote[] = []
  readonly leftOut: ImportNote[] = []
  readonly decisions: ImportNote[] = []
  readonly refusals: ImportNote[] = []

  convert(source: string, key: string, message: string): void {
    this.converted.push({ source, key, message })
  }

  leaveOut(source: string, key: string, message: string): void {
    this.leftOut.push({ source, key, message })
  }

  decide(source: string, key: string, message: string): void {
    this.decisions.push({ source, key, message })
  }

  refuse(source: string, key: string, message: string): void {
    this.refusals.push({ source, key, message })
  }
}

/**
 * `service web, ports[0]: message`, `umbrel-app.yml, version: message`, or for a store's folder
 * (source `folder`, key its name) `folder bitcoin: message`.
 */
export function formatNote(note: ImportNote): string {
  if (note.source === 'folder') return `folder ${note.key}: ${note.message}`
  const where = /\.yml$|^app_proxy$/.test(note.source) ? note.source : `service ${note.source}`
  return `${where}, ${note.key}: ${note.message}`
}

/** The report as text: one block per app, then a one-line summary. */
export function renderReport(apps: AppImport[]): string {
  const lines: string[] = []
  for (const app of apps) {
    const files = app.manifests.map((manifest) => manifest.file).join(', ')
    lines.push(
      app.status === 'converted'
        ? `${app.umbrelId}: converted to ${files}`
        : `${app.umbrelId}: ${app.status}`,
    )
    const sections: [string, ImportNote[]][] = [
      ['refused', app.refusals],
      ['needs a decision', app.decisions],
      ['left out', app.leftOut],
      ['converted', app.converted],
    ]
    for (const [title, notes] of sections) {
      if (notes.length === 0) continue
      lines.push(`  ${title}:`)
      for (const note of notes) lines.push(`    - ${formatNote(note)}`)
    }
    lines.push('')
  }
  const count = (status: AppImport['status']): number =>
    apps.filter((app) => app.status === status).length
  const decisions = apps.reduce((sum, app) => sum + app.decisions.length, 0)
  const folders = count('skipped')
  const skipped = folders > 0 ? `, ${folders} folder${folders === 1 ? '' : 's'} skipped` : ''
  lines.push(
    `${count('converted')} converted, ${count('refused')} refused, ` +
      `${decisions} element${decisions === 1 ? '' : 's'} needing a decision${skipped}`,
  )
  return lines.join('\n') + '\n'
}
