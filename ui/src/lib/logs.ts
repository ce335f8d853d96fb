/** Log lines: merging (fetch + stream without duplicates), filtering, ANSI to HTML. */
import AnsiToHtml from 'ansi-to-html'
import type { LogEntry, LogLevel } from '@/api/models'

export const LEVELS: LogLevel[] = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR']

export const logKey = (l: LogEntry): string => `${l.timestamp}|${l.taskRunId ?? ''}|${l.attemptNumber ?? ''}|${l.level}|${l.message}`

/** Adds entries not yet held, keeping timestamp order. */
export function mergeLogs(held: LogEntry[], seen: Set<string>, incoming: LogEntry[]): LogEntry[] {
  const fresh = incoming.filter((l) => {
    const key = logKey(l)
    if (seen.has(key)) return false
    seen.add(key)
    return true
  })
  if (!fresh.length) return held
  const last = held[held.length - 1]
  const ordered = fresh.every((l, i) => i === 0 || (fresh[i - 1]?.timestamp ?? '') <= l.timestamp)
  if (ordered && (!last || last.timestamp <= (fresh[0]?.timestamp ?? ''))) return [...held, ...fresh]
  return [...held, ...fresh].sort((a, b) => a.timestamp.localeCompare(b.timestamp))
}

export interface LogFilter {
  minLevel: LogLevel
  taskId: string
  text: string
}

export function filterLogs(logs: LogEntry[], filter: LogFilter): LogEntry[] {
  const min = LEVELS.indexOf(filter.minLevel)
  const text = filter.text.toLowerCase()
  return logs.filter(
    (l) =>
      LEVELS.indexOf(l.level) >= min &&
      (!filter.taskId || l.taskId === filter.taskId) &&
      (!text || l.message.toLowerCase().includes(text)),
  )
}

const converter = new AnsiToHtml({ escapeXML: true, newline: false })
/** A message's HTML, escaped, with its ANSI colours kept. */
export const ansiHtml = (message: string): string => converter.toHtml(message)
