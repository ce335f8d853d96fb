import { describe, expect, it } from 'vitest'
import { DEFAULT_RANGE, since } from '@/lib/timeRange'

const NOW = Date.parse('2026-12-07T12:00:00Z')

describe('executions time range', () => {
  it('defaults to the last 7 days', () => {
    expect(DEFAULT_RANGE).toBe('7d')
    expect(since(DEFAULT_RANGE, NOW)).toBe('2026-11-30T12:00:00.000Z')
  })

  it('reads the range of the URL, and `all` as no start at all', () => {
    expect(since('24h', NOW)).toBe('2026-12-06T12:00:00.000Z')
    expect(since('90d', NOW)).toBe('2026-09-08T12:00:00.000Z')
    expect(since('all', NOW)).toBeUndefined()
  })

  it('falls back to the default for a range it does not know', () => {
    expect(since('forever', NOW)).toBe(since(DEFAULT_RANGE, NOW))
  })
})
