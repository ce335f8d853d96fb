/**
 * Filters live in the URL so a link reproduces a view: a typed filter object <-> route query.
 * Defaults are left out of the URL; arrays repeat their key.
 */
export type FilterValue = string | number | string[]
export type Filters = Record<string, FilterValue>
export type RouteQuery = Record<string, string | null | (string | null)[] | undefined>

export function toQuery<F extends Filters>(filters: F, defaults: F): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = {}
  for (const [key, value] of Object.entries(filters)) {
    const fallback = defaults[key]
    if (Array.isArray(value)) {
      if (value.length && JSON.stringify(value) !== JSON.stringify(fallback)) query[key] = [...value]
    } else if (value !== '' && value !== fallback) query[key] = String(value)
  }
  return query
}

export function fromQuery<F extends Filters>(query: RouteQuery, defaults: F): F {
  const out: Filters = { ...defaults }
  for (const [key, fallback] of Object.entries(defaults)) {
    const raw = query[key]
    if (raw === undefined || raw === null) continue
    const list = (Array.isArray(raw) ? raw : [raw]).filter((v): v is string => v !== null)
    if (Array.isArray(fallback)) out[key] = list
    else if (typeof fallback === 'number') {
      const n = Number(list[0])
      out[key] = Number.isFinite(n) ? n : fallback
    } else out[key] = list[0] ?? fallback
  }
  return out as F
}
