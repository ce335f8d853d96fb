/** Fetches every type's schema once per page load and assembles the flow schema. */
import { plugins } from '@/api/endpoints'
import { flowSchema, type TypeSchema } from '@/lib/flowSchema'
import { pluginTypes } from '@/lib/plugins'

let pending: Promise<Record<string, unknown>> | null = null

export function loadFlowSchema(): Promise<Record<string, unknown>> {
  pending ??= (async () => {
    const types = pluginTypes(await plugins.list())
    const docs = await Promise.all(
      types.map(async (t): Promise<TypeSchema | null> => {
        try {
          const doc = await plugins.doc(t.cls)
          const schema = (doc.schema?.properties ?? {}) as Record<string, unknown>
          return { cls: t.cls, kind: t.kind === 'trigger' ? 'trigger' : 'task', schema }
        } catch {
          return null
        }
      }),
    )
    return flowSchema(docs.filter((d): d is TypeSchema => d !== null))
  })()
  pending.catch(() => (pending = null))
  return pending
}
