/** Questions about execution and task-run states, asked in one place. */
import type { StateType } from '@/api/models'

export const ALL_STATES: StateType[] = [
  'CREATED', 'QUEUED', 'RUNNING', 'PAUSED', 'RESTARTED', 'KILLING', 'SUCCESS', 'WARNING',
  'FAILED', 'KILLED', 'CANCELLED', 'RETRYING', 'RETRIED', 'SKIPPED',
]

const TERMINAL = new Set<StateType>([
  'SUCCESS', 'WARNING', 'FAILED', 'KILLED', 'CANCELLED', 'SKIPPED', 'RETRIED',
])
const FAILED = new Set<StateType>(['FAILED', 'KILLED', 'CANCELLED'])

export const isTerminal = (state: StateType): boolean => TERMINAL.has(state)
export const isFailed = (state: StateType): boolean => FAILED.has(state)
export const isRunning = (state: StateType): boolean => !TERMINAL.has(state) && state !== 'CREATED' && state !== 'QUEUED'
export const canKill = (state: StateType): boolean => !TERMINAL.has(state) && state !== 'KILLING'
export const canRestart = (state: StateType): boolean => FAILED.has(state)
export const canResume = (state: StateType): boolean => state === 'PAUSED'

/** Colours per state, readable on light and dark backgrounds. */
export const STATE_COLORS: Record<StateType, string> = {
  CREATED: '#8a8f98',
  QUEUED: '#a98bd6',
  RUNNING: '#3b82f6',
  PAUSED: '#9b59b6',
  RESTARTED: '#0ea5e9',
  KILLING: '#f97316',
  SUCCESS: '#22a55b',
  WARNING: '#eab308',
  FAILED: '#e5484d',
  KILLED: '#b45309',
  CANCELLED: '#6b7280',
  RETRYING: '#06b6d4',
  RETRIED: '#64748b',
  SKIPPED: '#94a3b8',
}

export const stateColor = (state: StateType | undefined | null): string =>
  state ? STATE_COLORS[state] : '#cbd5e1'

/** Severity for aggregating several runs of one task into one cell (worst wins). */
const SEVERITY: Partial<Record<StateType, number>> = {
  FAILED: 90, KILLED: 85, KILLING: 80, CANCELLED: 75, WARNING: 60, RUNNING: 55, RETRYING: 52,
  PAUSED: 50, RESTARTED: 45, QUEUED: 40, CREATED: 35, SUCCESS: 20, RETRIED: 15, SKIPPED: 10,
}
export const worstState = (states: StateType[]): StateType | null =>
  states.reduce<StateType | null>(
    (worst, s) => (worst === null || (SEVERITY[s] ?? 0) > (SEVERITY[worst] ?? 0) ? s : worst),
    null,
  )

/** Milliseconds from an ISO-8601 duration (PT1M2.5S) or a number of seconds. */
export function durationMs(duration: string | number | null | undefined): number | null {
  if (duration === null || duration === undefined) return null
  if (typeof duration === 'number') return duration * 1000
  const m = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:([\d.]+)S)?)?$/.exec(duration)
  if (!m) return null
  const [, d, h, min, s] = m
  return ((Number(d ?? 0) * 24 + Number(h ?? 0)) * 60 + Number(min ?? 0)) * 60000 + Number(s ?? 0) * 1000
}

export function humanDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || Number.isNaN(ms)) return '—'
  if (ms < 1000) return `${Math.round(ms)} ms`
  const s = ms / 1000
  if (s < 60) return `${s.toFixed(s < 10 ? 2 : 1)} s`
  const m = Math.floor(s / 60)
  if (m < 60) return `${m}m ${Math.round(s % 60)}s`
  return `${Math.floor(m / 60)}h ${m % 60}m`
}
