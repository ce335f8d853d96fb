import { describe, expect, it } from 'vitest'
import { ganttLayout } from '@/lib/gantt'
import { execution, run } from './fixtures'

const T0 = '2026-01-01T00:00:00.000Z'
const at = (s: number): string => new Date(Date.parse(T0) + s * 1000).toISOString()

describe('ganttLayout', () => {
  it('places each attempt as a fraction of the execution span', () => {
    const e = execution('e1', 'SUCCESS', T0, at(100), [
      run('r1', 'first', [[at(0), at(50), 'SUCCESS']]),
      run('r2', 'flaky', [[at(50), at(60), 'FAILED'], [at(70), at(100), 'SUCCESS']]),
    ])
    const layout = ganttLayout(e)
    expect(layout.rows.map((r) => r.taskId)).toEqual(['first', 'flaky'])
    const [a, b] = layout.rows[1]!.bars
    expect(layout.rows[1]!.bars).toHaveLength(2)
    expect(a).toMatchObject({ attempt: 1, state: 'FAILED', left: 0.5 })
    expect(a!.width).toBeCloseTo(0.1)
    expect(b).toMatchObject({ attempt: 2, state: 'SUCCESS', left: 0.7, running: false })
    expect(b!.width).toBeCloseTo(0.3)
  })

  it('grows a running attempt up to now', () => {
    const e = execution('e1', 'RUNNING', T0, null, [run('r1', 'slow', [[at(10), null, 'RUNNING']])])
    const early = ganttLayout(e, Date.parse(at(20))).rows[0]!.bars[0]!
    const later = ganttLayout(e, Date.parse(at(40))).rows[0]!.bars[0]!
    expect(early.running).toBe(true)
    expect(early.left + early.width).toBeCloseTo(1)
    expect(later.left).toBeCloseTo(0.25)
    expect(later.endMs - later.startMs).toBe(30_000)
  })

  it('reads an attempt that carries only its state history', () => {
    const attempt = (state: 'SUCCESS' | 'RUNNING', end: number | null) => ({
      state: {
        current: state,
        histories: [
          { state: 'CREATED' as const, date: at(20) },
          { state: 'RUNNING' as const, date: at(25) },
          ...(end === null ? [] : [{ state, date: at(end) }]),
        ],
      },
    })
    const done = run('r1', 'x', [[at(20), at(50), 'SUCCESS']], { attempts: [attempt('SUCCESS', 50)] })
    const going = run('r2', 'y', [[at(20), null, 'RUNNING']], { attempts: [attempt('RUNNING', null)] })
    const rows = ganttLayout(execution('e1', 'RUNNING', T0, null, [done, going]), Date.parse(at(100))).rows
    expect(rows[0]!.bars[0]).toMatchObject({ running: false, startMs: Date.parse(at(20)), endMs: Date.parse(at(50)) })
    expect(rows[1]!.bars[0]).toMatchObject({ running: true, endMs: Date.parse(at(100)) })
  })

  it('nests children under their parent, in depth-first order', () => {
    const e = execution('e1', 'SUCCESS', T0, at(10), [
      run('p', 'each', [[at(0), at(10), 'SUCCESS']]),
      run('after', 'after', [[at(9), at(10), 'SUCCESS']]),
      run('c1', 'inner', [[at(1), at(2), 'SUCCESS']], { parentTaskRunId: 'p', value: 'a' }),
      run('c2', 'inner', [[at(2), at(3), 'SUCCESS']], { parentTaskRunId: 'p', value: 'b' }),
    ])
    const rows = ganttLayout(e).rows
    expect(rows.map((r) => `${r.taskRunId}:${r.depth}`)).toEqual(['p:0', 'c1:1', 'c2:1', 'after:0'])
    expect(rows[1]!.value).toBe('a')
  })

  it('lays out 2,000 task runs quickly enough to stay interactive', () => {
    const runs = Array.from({ length: 2000 }, (_, i) => run(`r${i}`, `t${i}`, [[at(i), at(i + 1), 'SUCCESS']]))
    const e = execution('big', 'SUCCESS', T0, at(2001), runs)
    const started = performance.now()
    const layout = ganttLayout(e)
    const elapsed = performance.now() - started
    expect(layout.rows).toHaveLength(2000)
    expect(layout.rows[1999]!.bars[0]!.left).toBeCloseTo(1999 / 2001)
    console.log(`gantt layout of 2000 task runs: ${elapsed.toFixed(1)} ms`)
  })
})
