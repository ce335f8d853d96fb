/** Plugin types and the properties of one type, read from its JSON Schema. */
import type { PluginDoc, PluginSummary } from '@/api/models'

export interface PluginType {
  cls: string
  kind: string
}

const KINDS = ['tasks', 'triggers', 'conditions', 'taskRunners', 'logExporters'] as const

export function pluginTypes(plugins: PluginSummary[]): PluginType[] {
  const out = new Map<string, PluginType>()
  for (const p of plugins) {
    for (const kind of KINDS) {
      const list = p[kind]
      if (Array.isArray(list)) for (const cls of list) if (typeof cls === 'string') out.set(cls, { cls, kind: kind.replace(/s$/, '') })
    }
  }
  return [...out.values()].sort((a, b) => a.cls.localeCompare(b.cls))
}

export interface PropertyRow {
  name: string
  type: string
  required: boolean
  description: string
  defaultValue: string
}

export function pluginProperties(doc: PluginDoc): PropertyRow[] {
  const schema = (doc.schema?.properties ?? doc.schema ?? {}) as Record<string, unknown>
  const props = (schema.properties ?? {}) as Record<string, Record<string, unknown>>
  const required = new Set((schema.required as string[] | undefined) ?? [])
  return Object.entries(props)
    .map(([name, p]) => ({
      name,
      type: String(p.type ?? (p.$ref ? String(p.$ref).split('/').pop() : p.anyOf || p.oneOf ? 'one of' : '')),
      required: required.has(name),
      description: String(p.title ?? p.description ?? ''),
      defaultValue: p.default === undefined ? '' : JSON.stringify(p.default),
    }))
    .sort((a, b) => Number(b.required) - Number(a.required) || a.name.localeCompare(b.name))
}

/** The first example of a plugin's doc (Kestra's `$examples`), if any. */
export function pluginExample(doc: PluginDoc): string | null {
  const schema = (doc.schema?.properties ?? doc.schema ?? {}) as Record<string, unknown>
  const examples = schema.$examples as { code?: string; full?: boolean }[] | undefined
  return examples?.[0]?.code ?? null
}
