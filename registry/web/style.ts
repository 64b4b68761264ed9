// The marketplace pages' one stylesheet, embedded in every page (no extra request, no build step).
// Its SHA-256 goes into the Content-Security-Policy, so no other style and no script can run.
import { createHash } from 'node:crypto'

export const STYLESHEET = `
:root {
  color-scheme: light dark;
  --bg: #f6f7f9; --card: #fff; --text: #1d2330; --muted: #5d6675; --line: #dde1e7;
  --accent: #2456c7; --accent-soft: #e7eefc; --warn: #9a3b12; --warn-soft: #fdebe2;
  --code: #eef0f4;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #12151b; --card: #1b2029; --text: #e4e8ef; --muted: #9aa4b4; --line: #2c3340;
    --accent: #86a8ff; --accent-soft: #223154; --warn: #ffb08a; --warn-soft: #43261a;
    --code: #232a35;
  }
}
* { box-sizing: border-box; }
body {
  margin: 0; background: var(--bg); color: var(--text);
  font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
}
a { color: var(--accent); text-decoration: none; }
a:hover, a:focus { text-decoration: underline; }
header.site {
  background: var(--card); border-bottom: 1px solid var(--line); padding: 0.8rem 1.5rem;
  display: flex; flex-wrap: wrap; gap: 0.5rem 1.5rem; align-items: baseline;
}
header.site .brand { font-weight: 700; font-size: 1.15rem; color: var(--text); }
header.site nav { display: flex; gap: 1rem; }
header.site .did { color: var(--muted); font-size: 0.8rem; margin-left: auto; }
main { max-width: 72rem; margin: 0 auto; padding: 1.5rem; }
h1 { font-size: 1.6rem; margin: 0 0 0.3rem; overflow-wrap: anywhere; }
h2 { font-size: 1.15rem; margin: 1.8rem 0 0.6rem; }
h3 { font-size: 1rem; margin: 1rem 0 0.4rem; }
.muted { color: var(--muted); }
code, pre { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; }
code { font-size: 0.85em; overflow-wrap: anywhere; }
pre {
  background: var(--code); border: 1px solid var(--line); border-radius: 6px;
  padding: 0.8rem 1rem; overflow-x: auto; font-size: 0.85rem; white-space: pre;
}
form.filters {
  display: flex; flex-wrap: wrap; gap: 0.6rem; align-items: end;
  background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 0.8rem;
}
form.filters label {
  display: flex; flex-direction: column; font-size: 0.8rem; color: var(--muted);
}
form.filters .grow { flex: 1 1 16rem; }
input, select, button {
  font: inherit; padding: 0.4rem 0.6rem; border: 1px solid var(--line); border-radius: 6px;
  background: var(--bg); color: var(--text);
}
button {
  background: var(--accent); color: var(--card); border-color: var(--accent); cursor: pointer;
}
.count { margin: 1rem 0 0.6rem; color: var(--muted); }
ul.apps {
  list-style: none; padding: 0; margin: 0; display: grid; gap: 0.8rem;
  grid-template-columns: repeat(auto-fill, minmax(17rem, 1fr));
}
ul.apps li, section.card {
  background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 1rem;
}
ul.apps li h2 { margin: 0 0 0.2rem; font-size: 1.05rem; overflow-wrap: anywhere; }
ul.apps li p { margin: 0.4rem 0; }
.meta {
  font-size: 0.8rem; color: var(--muted); display: flex; flex-wrap: wrap; gap: 0.3rem 0.8rem;
  align-items: baseline;
}
.badge {
  display: inline-block; font-size: 0.75rem; padding: 0.05rem 0.5rem; border-radius: 999px;
  background: var(--accent-soft); color: var(--accent); white-space: nowrap;
}
.badge.unscored { background: var(--code); color: var(--muted); }
.badge.warn { background: var(--warn-soft); color: var(--warn); }
table { border-collapse: collapse; width: 100%; font-size: 0.9rem; }
th, td {
  text-align: left; padding: 0.35rem 0.6rem; border-bottom: 1px solid var(--line);
  vertical-align: top;
}
th { color: var(--muted); font-weight: 600; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 0.3rem 1rem; margin: 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
nav.pager { display: flex; gap: 1.5rem; justify-content: center; margin: 1.2rem 0; }
.nowrap { white-space: nowrap; }
section.card + section.card { margin-top: 0.8rem; }
section.card h3 { margin-top: 0; }
th[scope='row'] { width: 9rem; }
.reason { color: var(--warn); overflow-wrap: anywhere; }
.empty { padding: 2rem; text-align: center; color: var(--muted); }
footer {
  max-width: 72rem; margin: 0 auto; padding: 1rem 1.5rem 2rem; font-size: 0.8rem;
  color: var(--muted);
}
`

const digest = createHash('sha256').update(STYLESHEET).digest('base64')

/** The stylesheet's CSP source (`'sha256-...'`), so the policy admits it and nothing else. */
export const STYLESHEET_HASH = `'sha256-${digest}'`
