import { describe, expect, it } from 'vitest'
import type { Execution } from '@/api/models'
import { applySnapshot, isHeader, stillRunning } from '@/lib/liveExecutions'
import { execution, run } from './fixtures'

const T = (s: number): string => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString()
function snapshot(state: Execution['state']['current'], historyAt: number[], seq?: number): Execution {
  const e = execution('e1', state, T(0), null, [run('r', 't', [[T(0), null, 'RUNNING']])])
  return { ...e, seq, state: { ...e.state, histories: historyAt.map((s, i) => ({ state: i === historyAt.length - 1 ? state : 'RUNNING', date: T(s) })) } }
}

describe('isHeader', () => {
  it('is a snapshot listing fewer task runs than it counts', () => {
    const e = snapshot('RUNNING', [0], 1)
    expect(isHeader(e)).toBe(false)
    expect(isHeader({ ...e, taskRunCount: 1 })).toBe(false)
    expect(isHeader({ ...e, taskRunList: [], taskRunCount: 60 })).toBe(true)
  })
})

describe('applySnapshot', () => {
  it('keeps the newest snapshot by seq, whatever order they arrive in', () => {
    let map = applySnapshot(new Map(), snapshot('RUNNING', [0, 1], 5))
    map = applySnapshot(map, snapshot('SUCCESS', [0, 1, 2], 7))
    map = applySnapshot(map, snapshot('RUNNING', [0, 1], 6))
    expect(map.get('e1')!.state.current).toBe('SUCCESS')
    expect(map.get('e1')!.seq).toBe(7)
  })

  it('without seq, the later state history wins', () => {
    let map = applySnapshot(new Map(), snapshot('FAILED', [0, 1, 9]))
    map = applySnapshot(map, snapshot('RUNNING', [0, 1]))
    expect(map.get('e1')!.state.current).toBe('FAILED')
    map = applySnapshot(map, snapshot('RUNNING', [0, 1, 9, 12]))
    expect(map.get('e1')!.state.current).toBe('RUNNING')
  })

  it('returns the same map when nothing changes, so watchers are not woken', () => {
    const map = applySnapshot(new Map(), snapshot('RUNNING', [0, 1], 5))
    expect(applySnapshot(map, snapshot('RUNNING', [0], 4))).toBe(map)
    expect(applySnapshot(map, snapshot('RUNNING', [0, 1, 2], 6))).not.toBe(map)
  })

  it('a long execution\'s header keeps the task runs already known', () => {
    const whole = { ...snapshot('RUNNING', [0, 1], 5), taskRunCount: 1 }
    let map = applySnapshot(new Map(), whole)
    map = applySnapshot(map, { ...snapshot('RUNNING', [0, 1, 2], 6), taskRunList: [], taskRunCount: 1 })
    expect(map.get('e1')!.seq).toBe(6)
    expect(map.get('e1')!.taskRunList).toEqual(whole.taskRunList)
  })

  it('lists the executions that still need a stream', () => {
    let map = applySnapshot(new Map(), snapshot('RUNNING', [0], 1))
    map = applySnapshot(map, { ...snapshot('SUCCESS', [0, 1], 1), id: 'e2' })
    expect(stillRunning(map)).toEqual(['e1'])
  })
})
