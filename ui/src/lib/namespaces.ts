/** Namespaces as a tree (`a.b.c` under `a.b` under `a`), flattened for display. */
export interface NamespaceRow {
  id: string
  name: string
  depth: number
}

export function namespaceTree(ids: string[]): NamespaceRow[] {
  const all = new Set<string>()
  for (const id of ids) {
    const parts = id.split('.')
    for (let i = 1; i <= parts.length; i++) all.add(parts.slice(0, i).join('.'))
  }
  return [...all].sort().map((id) => {
    const parts = id.split('.')
    return { id, name: parts[parts.length - 1] ?? id, depth: parts.length - 1 }
  })
}

/** Labels as `key:value` strings, whichever of Kestra's two shapes (list or map) arrives. */
export function labelStrings(labels: { key: string; value: string }[] | Record<string, string> | null | undefined): string[] {
  if (!labels) return []
  if (Array.isArray(labels)) return labels.map((l) => `${l.key}:${l.value}`)
  return Object.entries(labels).map(([k, v]) => `${k}:${v}`)
}
