/**
 * The reducer behind live pages: folds execution snapshots from SSE streams (and from list
 * answers) into a map by id. A snapshot older than the one held is ignored, so a stream
 * that replays or a list answer that raced a stream never moves a state backwards.
 */
import type { Execution } from '@/api/models'
import { isTerminal } from './states'

export type ExecutionMap = ReadonlyMap<string, Execution>

/** A snapshot's rank: Kestrel's `seq` when present, else how much history it has seen. */
function rank(execution: Execution): [number, number, number] {
  const histories = execution.state.histories ?? []
  const last = histories.length ? Date.parse(histories[histories.length - 1]?.date ?? '') || 0 : 0
  const attempts = (execution.taskRunList ?? []).reduce(
    (n, r) => n + (r.attempts?.length ?? 0) + (r.state.histories?.length ?? 0),
    0,
  )
  return [execution.seq ?? -1, last, histories.length * 1e6 + attempts]
}

function newer(a: Execution, b: Execution): boolean {
  const [sa, ta, ha] = rank(a)
  const [sb, tb, hb] = rank(b)
  if (sa >= 0 && sb >= 0) return sa > sb
  if (ta !== tb) return ta > tb
  return ha >= hb
}

/** Whether a snapshot lacks some of its task runs: a long execution's header. */
export function isHeader(execution: Execution): boolean {
  const count = execution.taskRunCount
  return count != null && (execution.taskRunList ?? []).length < count
}

export function applySnapshot(map: ExecutionMap, incoming: Execution): ExecutionMap {
  const held = map.get(incoming.id)
  if (held && !newer(incoming, held)) return map
  const next = new Map(map)
  // A header (from the executions list's stream) keeps the task runs already known.
  const kept = held && isHeader(incoming) ? { ...incoming, taskRunList: held.taskRunList } : incoming
  next.set(incoming.id, kept)
  return next
}

/** Ids that still need a live stream (not ended). */
export function stillRunning(map: ExecutionMap): string[] {
  return [...map.values()].filter((e) => !isTerminal(e.state.current)).map((e) => e.id)
}
