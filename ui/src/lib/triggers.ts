/**
 * The triggers tab's rows: every trigger the flow declares, filled in by the scheduler's
 * states as they arrive on the API's `/triggers/follow` stream.
 */
import type { Flow, Trigger } from '@/api/models'

/** One trigger per row, keyed by its id, in the flow's order then the others'. */
export type TriggerRows = Trigger[]

/** The flow's declared triggers, before any state is known. */
export function declaredTriggers(flow: Flow): TriggerRows {
  return (flow.triggers ?? []).map((t) => ({
    namespace: flow.namespace,
    flowId: flow.id,
    triggerId: t.id,
    disabled: t.disabled ?? false,
  }))
}

/**
 * The rows after one stream event: a `progress` event replaces (or adds) its trigger's
 * state; a `deleted` one drops the state, leaving the declared row of a trigger the flow
 * still has. Events of another flow are ignored.
 */
export function applyTriggerEvent(rows: TriggerRows, flow: Flow, state: Trigger, event: string): TriggerRows {
  if (state.namespace !== flow.namespace || state.flowId !== flow.id) return rows
  const at = rows.findIndex((t) => t.triggerId === state.triggerId)
  if (event === 'deleted') {
    if (at < 0) return rows
    const declared = declaredTriggers(flow).find((t) => t.triggerId === state.triggerId)
    const next = [...rows]
    if (declared) next[at] = declared
    else next.splice(at, 1)
    return next
  }
  if (at < 0) return [...rows, state]
  const next = [...rows]
  next[at] = state
  return next
}
