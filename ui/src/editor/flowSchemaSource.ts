/** Fetches every type's schema once per page load, in one request, and assembles the flow schema. */
import { plugins } from '@/api/endpoints'
import { flowSchema, type TypeSchema } from '@/lib/flowSchema'

let pending: Promise<Record<string, unknown>> | null = null

export function loadFlowSchema(): Promise<Record<string, unknown>> {
  // One request, not one per type: 230 requests held the browser's six connections to the
  // server, and the page opened next (an execution, after a run) waited behind them.
  pending ??= (async () => {
    const docs = (await plugins.schemas()).map(
      (doc): TypeSchema => ({
        cls: doc.cls,
        kind: doc.kind === 'trigger' ? 'trigger' : 'task',
        schema: (doc.schema?.properties ?? {}) as Record<string, unknown>,
      }),
    )
    return flowSchema(docs)
  })()
  pending.catch(() => (pending = null))
  return pending
}
