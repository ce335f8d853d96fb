/**
 * The executions list's time range, kept in the URL as `range`. The list shows the last
 * 7 days unless the URL says otherwise (`range=all` for every execution): a search names
 * only the daily summary indices of its range, so free text, labels and deep pages read a
 * week of executions, not the whole history (bench/ui_queries.py).
 */
export const DEFAULT_RANGE = '7d'

/** The ranges offered, by their URL value, in milliseconds. */
export const RANGES: Readonly<Record<string, number>> = {
  '1h': 3600e3,
  '24h': 86400e3,
  '7d': 7 * 86400e3,
  '30d': 30 * 86400e3,
  '90d': 90 * 86400e3,
}

/** The search's `startDate` for `range` at `now` (ms); undefined for `all` (every execution). */
export function since(range: string, now: number = Date.now()): string | undefined {
  const span = RANGES[range] ?? (range === 'all' ? undefined : RANGES[DEFAULT_RANGE])
  return span ? new Date(now - span).toISOString() : undefined
}
