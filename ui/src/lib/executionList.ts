/**
 * The executions list, live: which executions from the `/executions/follow` stream belong
 * on the page shown, with the rules of the server's search (namespaces nest on dots, every
 * label must match, the text matches the id or is contained in the namespace, flow id or a
 * label value). The server filters the stream by namespace and flow only.
 */
import type { ExecutionSearch } from '@/api/endpoints'
import type { Execution } from '@/api/models'

/** The page as shown: its rows' ids (newest first) and the total of the search. */
export interface ListView {
  ids: readonly string[]
  total: number
}

function inNamespace(namespace: string, wanted: string): boolean {
  return namespace === wanted || namespace.startsWith(wanted.replace(/\.+$/, '') + '.')
}

function labelPairs(execution: Execution): [string, string][] {
  const labels = execution.labels ?? []
  return Array.isArray(labels) ? labels.map((l) => [l.key, l.value]) : Object.entries(labels)
}

/** When an execution started, in ms (the list's sort key), or NaN. */
export function startedAt(execution: Execution): number {
  return Date.parse(execution.state.startDate ?? execution.state.histories?.[0]?.date ?? '')
}

/** Whether `execution` is one the search `search` finds. */
export function matchesSearch(execution: Execution, search: ExecutionSearch): boolean {
  if (search.namespace && !inNamespace(execution.namespace, search.namespace)) return false
  if (search.flowId && execution.flowId !== search.flowId) return false
  if (search.state?.length && !search.state.includes(execution.state.current)) return false
  const pairs = labelPairs(execution)
  for (const wanted of search.labels ?? []) {
    const [key, ...rest] = wanted.split(':')
    const value = rest.join(':')
    if (!pairs.some(([k, v]) => k === key?.trim() && v === value.trim())) return false
  }
  const started = startedAt(execution)
  if (search.startDate && !(started >= Date.parse(search.startDate))) return false
  if (search.endDate && !(started < Date.parse(search.endDate))) return false
  if (search.q) {
    const text = search.q.toLowerCase()
    const contains = (s: string): boolean => s.toLowerCase().includes(text)
    const found = execution.id === search.q || contains(execution.namespace) || contains(execution.flowId)
      || pairs.some(([, v]) => contains(v))
    if (!found) return false
  }
  return true
}

/**
 * The page after `execution` arrived from the stream (first page, newest first).
 *
 * A row already shown stays (its state changes in place, even out of a state filter, so
 * rows do not jump away). An execution the search finds that is newer than the last row
 * of a full page (or any, on a page not full) was not on the page when it was read: it is
 * new, or newly matches, so it takes its place by start date and counts in the total; the
 * last row falls off to keep `size` rows. An older one was already counted (a change of an
 * execution on a later page): nothing moves. Later pages and other sorts only update rows.
 */
export function admit(
  view: ListView,
  execution: Execution,
  search: ExecutionSearch,
  page: { number: number; size: number; sortedByStart: boolean; startOf: (id: string) => number },
): ListView {
  if (view.ids.includes(execution.id) || !matchesSearch(execution, search)) return view
  if (page.number !== 1 || !page.sortedByStart) return view
  const started = startedAt(execution)
  const full = view.ids.length >= page.size
  const last = view.ids[view.ids.length - 1]
  if (full && last !== undefined && !(started > page.startOf(last))) return view
  const at = view.ids.findIndex((id) => !(page.startOf(id) >= started))
  const ids = [...view.ids]
  ids.splice(at < 0 ? ids.length : at, 0, execution.id)
  return { ids: ids.slice(0, page.size), total: view.total + 1 }
}
