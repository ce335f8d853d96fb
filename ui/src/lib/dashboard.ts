/** Dashboard figures from daily statistics and a sample of recent executions. */
import type { DailyStatistics, Execution, FailingFlow, StateType } from '@/api/models'
import { durationMs } from './states'

export interface StackedSeries {
  days: string[]
  series: { state: StateType; counts: number[] }[]
}

export function stackedByState(daily: DailyStatistics[]): StackedSeries {
  const sorted = [...daily].sort((a, b) => a.startDate.localeCompare(b.startDate))
  const states = new Set<StateType>()
  for (const d of sorted) for (const [s, n] of Object.entries(d.executionCounts)) if (n) states.add(s as StateType)
  return {
    days: sorted.map((d) => d.startDate.slice(0, 10)),
    series: [...states].sort().map((state) => ({ state, counts: sorted.map((d) => d.executionCounts[state] ?? 0) })),
  }
}

/** Share of ended executions that succeeded (SUCCESS or WARNING), or null with none ended. */
export function successRatio(daily: DailyStatistics[]): number | null {
  let ok = 0
  let ended = 0
  for (const d of daily) {
    for (const [s, n] of Object.entries(d.executionCounts) as [StateType, number][]) {
      if (s === 'SUCCESS' || s === 'WARNING') ok += n
      if (['SUCCESS', 'WARNING', 'FAILED', 'KILLED', 'CANCELLED'].includes(s)) ended += n
    }
  }
  return ended ? ok / ended : null
}

/** Nearest-rank percentile (p in 0..100) of a list of numbers. */
export function percentile(values: number[], p: number): number | null {
  if (!values.length) return null
  const sorted = [...values].sort((a, b) => a - b)
  const rank = Math.ceil((p / 100) * sorted.length)
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] ?? null
}

export function durationPercentiles(executions: Execution[]): Record<'p50' | 'p90' | 'p99', number | null> {
  return percentilesOf(executions.map((e) => durationMs(e.state.duration)).filter((v): v is number => v !== null))
}

/** p50, p90 and p99 of durations in milliseconds (null when there are none). */
export function percentilesOf(values: number[]): Record<'p50' | 'p90' | 'p99', number | null> {
  return { p50: percentile(values, 50), p90: percentile(values, 90), p99: percentile(values, 99) }
}

/** The failing flows as the dashboard lists them: most failures first, then by name. */
export function topFailing(flows: FailingFlow[], limit = 5): { flow: string; count: number; total: number }[] {
  return flows
    .filter((f) => f.failed > 0)
    .map((f) => ({ flow: `${f.namespace}.${f.flowId}`, count: f.failed, total: f.total }))
    .sort((a, b) => b.count - a.count || a.flow.localeCompare(b.flow))
    .slice(0, limit)
}
