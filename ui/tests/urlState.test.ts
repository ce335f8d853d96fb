import { describe, expect, it } from 'vitest'
import { fromQuery, toQuery } from '@/lib/urlState'

const defaults = { q: '', state: [] as string[], page: 1, days: 7 }

describe('URL state', () => {
  it('leaves defaults out of the URL and round-trips the rest', () => {
    const filters = { q: 'etl', state: ['FAILED', 'KILLED'], page: 3, days: 7 }
    const query = toQuery(filters, defaults)
    expect(query).toEqual({ q: 'etl', state: ['FAILED', 'KILLED'], page: '3' })
    expect(fromQuery(query, defaults)).toEqual(filters)
  })

  it('reads a single value as a one-item list, and ignores junk numbers', () => {
    expect(fromQuery({ state: 'FAILED', page: 'abc' }, defaults)).toEqual({ q: '', state: ['FAILED'], page: 1, days: 7 })
  })
})
