import { describe, expect, it } from 'vitest'
import { backfillProgress } from '@/lib/backfill'

const trigger = (backfill: Record<string, unknown> | null) => ({ namespace: 'n', flowId: 'f', triggerId: 't', backfill: backfill as never })

describe('backfillProgress', () => {
  it('is the share of the span before the next slot', () => {
    const p = backfillProgress(trigger({ start: '2026-01-01T00:00:00Z', end: '2026-01-05T00:00:00Z', nextDate: '2026-01-02T00:00:00Z', fired: 1 }))
    expect(p).toEqual({ percent: 25, done: false, fired: 1 })
  })

  it('is done when no slot is left', () => {
    const p = backfillProgress(trigger({ start: '2026-01-01T00:00:00Z', end: '2026-01-03T00:00:00Z', nextDate: null, fired: 2 }))
    expect(p).toEqual({ percent: 100, done: true, fired: 2 })
  })

  it('is done when the next slot is left out of the answer', () => {
    const p = backfillProgress(trigger({ start: '2026-01-01T00:00:00Z', end: '2026-01-03T00:00:00Z', fired: 2 }))
    expect(p?.done).toBe(true)
  })

  it('none without a backfill', () => {
    expect(backfillProgress(trigger(null))).toBeNull()
  })
})
