import { describe, expect, it } from 'vitest'
import { durationPercentiles, percentile, stackedByState, successRatio, topFailing } from '@/lib/dashboard'
import { execution } from './fixtures'

const daily = [
  { startDate: '2026-01-02T00:00:00Z', executionCounts: { SUCCESS: 3, FAILED: 1 } },
  { startDate: '2026-01-01T00:00:00Z', executionCounts: { SUCCESS: 4, RUNNING: 2 } },
]

describe('dashboard figures', () => {
  it('stacks counts per state per day, days in order', () => {
    const s = stackedByState(daily)
    expect(s.days).toEqual(['2026-01-01', '2026-01-02'])
    expect(s.series).toEqual([
      { state: 'FAILED', counts: [0, 1] },
      { state: 'RUNNING', counts: [2, 0] },
      { state: 'SUCCESS', counts: [4, 3] },
    ])
  })

  it('counts only ended executions in the success ratio', () => {
    expect(successRatio(daily)).toBeCloseTo(7 / 8)
    expect(successRatio([])).toBeNull()
  })

  it('nearest-rank percentiles', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1)
    expect(percentile(values, 50)).toBe(50)
    expect(percentile(values, 99)).toBe(99)
    expect(percentile([5], 90)).toBe(5)
    expect(percentile([], 50)).toBeNull()
    const e = (d: string) => ({ ...execution('x', 'SUCCESS', '2026-01-01T00:00:00Z', null), state: { current: 'SUCCESS' as const, duration: d } })
    expect(durationPercentiles([e('PT1S'), e('PT2S'), e('PT1M')]).p50).toBe(2000)
  })

  it('ranks failing flows by failures then name, leaving out flows that never failed', () => {
    const flow = (namespace: string, flowId: string, failed: number, total: number) => ({ namespace, flowId, failed, total })
    const ranked = topFailing([flow('team.a', 'etl', 3, 10), flow('team.a', 'ok', 0, 5), flow('team.b', 'load', 4, 4), flow('team.a', 'aaa', 3, 3)])
    expect(ranked).toEqual([
      { flow: 'team.b.load', count: 4, total: 4 },
      { flow: 'team.a.aaa', count: 3, total: 3 },
      { flow: 'team.a.etl', count: 3, total: 10 },
    ])
  })
})
