import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { throttled } from '@/lib/throttle'

describe('throttled', () => {
  beforeEach(() => vi.useFakeTimers())
  afterEach(() => vi.useRealTimers())

  it('runs once, settleMs after a single event', () => {
    const run = vi.fn()
    const t = throttled(run, 5000, 2000)
    t.poke()
    vi.advanceTimersByTime(1999)
    expect(run).not.toHaveBeenCalled()
    vi.advanceTimersByTime(1)
    expect(run).toHaveBeenCalledTimes(1)
    vi.advanceTimersByTime(60_000)
    expect(run).toHaveBeenCalledTimes(1)
  })

  it('runs at most once every everyMs under a steady stream, and once after the last event', () => {
    const run = vi.fn()
    const t = throttled(run, 5000, 2000)
    for (let ms = 0; ms < 20_000; ms += 100) {
      t.poke()
      vi.advanceTimersByTime(100)
    }
    // 20 s of events: runs at 2 s, then every 5 s (7, 12, 17): four
    expect(run).toHaveBeenCalledTimes(4)
    vi.advanceTimersByTime(10_000)
    expect(run).toHaveBeenCalledTimes(5) // 22 s: the last events' figures
    vi.advanceTimersByTime(60_000)
    expect(run).toHaveBeenCalledTimes(5)
  })

  it('never runs sooner than settleMs after the latest event', () => {
    const run = vi.fn()
    const t = throttled(run, 1000, 3000)
    t.poke()
    vi.advanceTimersByTime(2500)
    t.poke() // the pending run (due at 3 s) still runs, and one more follows at 5.5 s
    vi.advanceTimersByTime(500)
    expect(run).toHaveBeenCalledTimes(1)
    vi.advanceTimersByTime(2499)
    expect(run).toHaveBeenCalledTimes(1)
    vi.advanceTimersByTime(1)
    expect(run).toHaveBeenCalledTimes(2)
  })

  it('stops when cancelled', () => {
    const run = vi.fn()
    const t = throttled(run, 1000, 1000)
    t.poke()
    t.cancel()
    vi.advanceTimersByTime(10_000)
    expect(run).not.toHaveBeenCalled()
  })
})
