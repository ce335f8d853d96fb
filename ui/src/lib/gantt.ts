/**
 * Gantt layout of an execution's task runs: one row per task run (loop values and nested
 * runs included), one bar per attempt, positioned as fractions of the execution's span.
 * Pure, so the page only draws; a running execution's span ends at `now`, so bars grow live.
 */
import type { Execution, StateType, TaskRun } from '@/api/models'
import { isTerminal } from './states'

export interface GanttBar {
  attempt: number
  state: StateType
  /** Start and width as fractions (0..1) of the timeline. */
  left: number
  width: number
  startMs: number
  endMs: number
  running: boolean
}

export interface GanttRow {
  taskRunId: string
  taskId: string
  value: string | null
  depth: number
  state: StateType
  bars: GanttBar[]
}

export interface GanttLayout {
  startMs: number
  endMs: number
  rows: GanttRow[]
}

const MIN_WIDTH = 0.002

function time(iso: string | null | undefined): number | null {
  if (!iso) return null
  const t = Date.parse(iso)
  return Number.isNaN(t) ? null : t
}

function stateStart(run: { state: TaskRun['state'] }): number | null {
  return time(run.state.startDate) ?? time(run.state.histories?.[0]?.date)
}

/** When a state ended: its endDate, else (attempts carry only their history) the date it
 * reached a terminal state; null while it runs. */
function stateEnd(state: TaskRun['state']): number | null {
  const explicit = time(state.endDate ?? null)
  if (explicit !== null) return explicit
  const last = state.histories?.[state.histories.length - 1]
  return last && isTerminal(last.state) ? time(last.date) : null
}

/** Task runs in display order: each parent followed by its children, depth-first. */
function ordered(taskRuns: TaskRun[]): { run: TaskRun; depth: number }[] {
  const ids = new Set(taskRuns.map((r) => r.id))
  const children = new Map<string | null, TaskRun[]>()
  for (const run of taskRuns) {
    const parent = run.parentTaskRunId && ids.has(run.parentTaskRunId) ? run.parentTaskRunId : null
    const list = children.get(parent) ?? []
    list.push(run)
    children.set(parent, list)
  }
  const out: { run: TaskRun; depth: number }[] = []
  const visit = (parent: string | null, depth: number): void => {
    for (const run of children.get(parent) ?? []) {
      out.push({ run, depth })
      visit(run.id, depth + 1)
    }
  }
  visit(null, 0)
  return out
}

export function ganttLayout(execution: Execution, now: number = Date.now()): GanttLayout {
  const taskRuns = execution.taskRunList ?? []
  const execStart = stateStart(execution) ?? Math.min(now, ...taskRuns.map((r) => stateStart(r) ?? now))
  const execEnd = stateEnd(execution.state) ?? now
  const startMs = execStart
  const endMs = Math.max(execEnd, startMs + 1)
  const span = endMs - startMs
  const frac = (t: number): number => Math.min(1, Math.max(0, (t - startMs) / span))

  const rows = ordered(taskRuns).map(({ run, depth }): GanttRow => {
    const attempts = run.attempts?.length ? run.attempts : [{ state: run.state }]
    const bars = attempts.flatMap((attempt, index): GanttBar[] => {
      const s = stateStart(attempt)
      if (s === null) return []
      const e = stateEnd(attempt.state)
      const end = e ?? now
      const left = frac(s)
      return [{
        attempt: index + 1,
        state: attempt.state.current,
        left,
        width: Math.max(MIN_WIDTH, frac(end) - left),
        startMs: s,
        endMs: end,
        running: e === null,
      }]
    })
    return {
      taskRunId: run.id,
      taskId: run.taskId,
      value: run.value ?? null,
      depth,
      state: run.state.current,
      bars,
    }
  })
  return { startMs, endMs, rows }
}
