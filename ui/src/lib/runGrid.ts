/**
 * The run grid: the last N executions of a flow (columns, oldest first) by its tasks (rows,
 * in the flow's order), each cell the state of that task in that execution (the worst one
 * when the task ran several times, in a loop). A task whose cells differ across executions
 * that ended is "flaky" and is flagged.
 */
import type { Execution, Flow, StateType, TaskDef } from '@/api/models'
import { isTerminal, worstState } from './states'

export interface RunGridCell {
  state: StateType | null
  runs: number
}

export interface RunGridRow {
  taskId: string
  depth: number
  cells: RunGridCell[]
  flaky: boolean
  failures: number
}

export interface RunGrid {
  executions: Pick<Execution, 'id' | 'state'>[]
  rows: RunGridRow[]
}

/** Task ids in the flow's order, nested ones after their parent (errors and finally last). */
export function flowTaskIds(flow: Pick<Flow, 'tasks' | 'errors' | 'finally'>): { id: string; depth: number }[] {
  const out: { id: string; depth: number }[] = []
  const walk = (tasks: TaskDef[] | undefined, depth: number): void => {
    for (const task of tasks ?? []) {
      out.push({ id: task.id, depth })
      walk(task.tasks, depth + 1)
      walk(task.errors, depth + 1)
      walk(task.finally, depth + 1)
      for (const value of Object.values(task)) {
        // Switch cases, Parallel/Dag branches: lists of tasks under other keys.
        if (value && typeof value === 'object' && !Array.isArray(value)) {
          for (const branch of Object.values(value as Record<string, unknown>)) {
            if (Array.isArray(branch) && branch.every(isTask)) walk(branch, depth + 1)
          }
        }
      }
    }
  }
  walk(flow.tasks, 0)
  walk(flow.errors, 0)
  walk(flow.finally, 0)
  const seen = new Set<string>()
  return out.filter(({ id }) => (seen.has(id) ? false : (seen.add(id), true)))
}

function isTask(v: unknown): v is TaskDef {
  return typeof v === 'object' && v !== null && 'id' in v && 'type' in v
}

export function runGrid(flow: Pick<Flow, 'tasks' | 'errors' | 'finally'> | null, executions: Execution[], limit = 20): RunGrid {
  const columns = [...executions]
    .sort((a, b) => (a.state.startDate ?? '').localeCompare(b.state.startDate ?? ''))
    .slice(-limit)
  const order = flow ? flowTaskIds(flow) : []
  const known = new Set(order.map((t) => t.id))
  for (const execution of columns) {
    for (const run of execution.taskRunList ?? []) {
      if (!known.has(run.taskId)) {
        known.add(run.taskId)
        order.push({ id: run.taskId, depth: 0 })
      }
    }
  }
  const rows = order.map(({ id, depth }): RunGridRow => {
    const cells = columns.map((execution): RunGridCell => {
      const states = (execution.taskRunList ?? []).filter((r) => r.taskId === id).map((r) => r.state.current)
      return { state: worstState(states), runs: states.length }
    })
    const ended = cells.map((c) => c.state).filter((s): s is StateType => s !== null && isTerminal(s))
    const outcomes = new Set(ended.map((s) => (s === 'SUCCESS' || s === 'SKIPPED' ? 'ok' : s === 'WARNING' ? 'warn' : 'bad')))
    return {
      taskId: id,
      depth,
      cells,
      flaky: outcomes.has('ok') && outcomes.size > 1,
      failures: ended.filter((s) => s === 'FAILED' || s === 'KILLED').length,
    }
  })
  return { executions: columns.map(({ id, state }) => ({ id, state })), rows }
}
