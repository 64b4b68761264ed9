// The page shell every marketplace page shares: head, site header, footer, the embedded
// stylesheet, and the response headers (a CSP that admits that stylesheet and no script at all).
import type { Context } from 'hono'
import { html, raw } from 'hono/html'
import type { ContentfulStatusCode } from 'hono/utils/http-status'

import { STYLESHEET, STYLESHEET_HASH } from './style.js'

/** Escaped HTML, as hono's `html` tag returns it. */
export type Html = ReturnType<typeof html>

export interface PageFrame {
  title: string
  /** The operator's DID, shown in the header so a visitor can compare it with a published one. */
  operatorDid: string
  body: Html
}

const POLICY = [
  "default-src 'none'",
  `style-src ${STYLESHEET_HASH}`,
  "img-src 'self' data:",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ')

// Built outside the template, so the element's text is exactly the hashed stylesheet.
const STYLE_ELEMENT = raw(`<style>${STYLESHEET}</style>`)

/** A whole page around `body`. */
export function renderPage(frame: PageFrame): Html {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${frame.title} · Archipelago registry</title>
        ${STYLE_ELEMENT}
      </head>
      <body>
        <header class="site">
          <a class="brand" href="/">Archipelago registry</a>
          <nav><a href="/">Apps</a><a href="/rejections">Rejections</a></nav>
          <span class="did" title="The operator DID that signs this registry's catalog"
            >operator <code>${frame.operatorDid}</code></span
          >
        </header>
        <main>${frame.body}</main>
        <footer>
          Every app here is a signed release, verified by this registry and verified again by the
          agent that installs it. Machine-readable: <a href="/v1/catalog">/v1/catalog</a>,
          <a href="/v1/apps">/v1/apps</a>, <a href="/v1/rejections">/v1/rejections</a>.
        </footer>
      </body>
    </html>`
}

/** Answers with a page: HTML, no caching (the catalog changes), and the page policy. */
export function respondPage(
  c: Context,
  status: ContentfulStatusCode,
  page: Html,
): Response | Promise<Response> {
  c.header('content-security-policy', POLICY)
  c.header('x-content-type-options', 'nosniff')
  c.header('referrer-policy', 'no-referrer')
  c.header('cache-control', 'no-cache')
  return c.html(page, status)
}

/** An error page naming what is wrong (a bad query parameter, an unknown app). */
export function renderErrorPage(operatorDid: string, heading: string, message: string): Html {
  const body = html`<h1>${heading}</h1>
    <p class="reason">${message}</p>
    <p><a href="/">Back to all apps</a></p>`
  return renderPage({ title: heading, operatorDid, body })
}
