import { describe, expect, it } from 'vitest'
import type { Flow } from '@/api/models'
import { flowTaskIds, runGrid } from '@/lib/runGrid'
import { execution, run } from './fixtures'

const flow: Pick<Flow, 'tasks' | 'errors'> = {
  tasks: [
    { id: 'extract', type: 'x' },
    { id: 'each', type: 'ForEach', tasks: [{ id: 'load', type: 'x' }] },
    { id: 'branch', type: 'Switch', cases: { a: [{ id: 'caseA', type: 'x' }] } },
  ],
  errors: [{ id: 'alert', type: 'x' }],
}
const T = (m: number): string => `2026-01-01T00:${String(m).padStart(2, '0')}:00.000Z`

describe('flowTaskIds', () => {
  it('lists tasks in flow order, nested ones after their parent, errors last', () => {
    expect(flowTaskIds(flow).map((t) => `${t.id}:${t.depth}`)).toEqual(['extract:0', 'each:0', 'load:1', 'branch:0', 'caseA:1', 'alert:0'])
  })
})

describe('runGrid', () => {
  const e1 = execution('e1', 'SUCCESS', T(1), T(2), [run('a', 'extract', [[T(1), T(2), 'SUCCESS']]), run('b', 'load', [[T(1), T(2), 'SUCCESS']])])
  const e2 = execution('e2', 'FAILED', T(3), T(4), [
    run('c', 'extract', [[T(3), T(4), 'SUCCESS']]),
    run('d', 'load', [[T(3), T(4), 'SUCCESS']], { value: '1' }),
    run('e', 'load', [[T(3), T(4), 'FAILED']], { value: '2' }),
    run('f', 'alert', [[T(3), T(4), 'SUCCESS']]),
  ])
  const e0 = execution('e0', 'SUCCESS', T(0), T(1), [run('g', 'extract', [[T(0), T(1), 'SUCCESS']]), run('h', 'legacy', [[T(0), T(1), 'SUCCESS']])])

  it('orders executions oldest first and keeps the last N', () => {
    const grid = runGrid(flow, [e2, e1, e0], 2)
    expect(grid.executions.map((e) => e.id)).toEqual(['e1', 'e2'])
  })

  it('puts the worst state of a looped task in its cell and flags flaky tasks', () => {
    const grid = runGrid(flow, [e2, e1])
    const row = (id: string) => grid.rows.find((r) => r.taskId === id)!
    expect(row('load').cells).toEqual([{ state: 'SUCCESS', runs: 1 }, { state: 'FAILED', runs: 2 }])
    expect(row('load').flaky).toBe(true)
    expect(row('load').failures).toBe(1)
    expect(row('extract').flaky).toBe(false)
    expect(row('alert').cells.map((c) => c.state)).toEqual([null, 'SUCCESS'])
    expect(row('caseA').cells.every((c) => c.state === null)).toBe(true)
  })

  it('adds tasks that ran but are no longer in the flow', () => {
    const grid = runGrid(flow, [e0, e1])
    expect(grid.rows.map((r) => r.taskId)).toContain('legacy')
  })
})
