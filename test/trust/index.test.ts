// Trust before reputation exists: every publisher is unscored.
import { describe, expect, it } from 'vitest'

import { scorePublisher } from '../../trust/index.js'

describe('scorePublisher', () => {
  it('scores every publisher as unscored until reputation exists', () => {
    expect(scorePublisher('did:key:z6MkExample')).toEqual({ score: null, band: 'unscored' })
  })

  it('returns a fresh object each time, so a caller cannot change another entry', () => {
    const first = scorePublisher('did:key:z6MkA')
    first.band = 'changed'
    expect(scorePublisher('did:key:z6MkA').band).toBe('unscored')
  })
})
