import { describe, expect, it } from 'vitest'
import type { LogEntry } from '@/api/models'
import { ansiHtml, filterLogs, mergeLogs } from '@/lib/logs'

const log = (s: number, level: LogEntry['level'], message: string, taskId = 't1'): LogEntry => ({
  timestamp: new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString(), level, message, taskId, taskRunId: `r-${taskId}`,
})

describe('logs', () => {
  it('merges a fetched page and a stream without duplicates, in time order', () => {
    const seen = new Set<string>()
    let held = mergeLogs([], seen, [log(1, 'INFO', 'a'), log(2, 'INFO', 'b')])
    held = mergeLogs(held, seen, [log(2, 'INFO', 'b'), log(3, 'WARN', 'c')])
    held = mergeLogs(held, seen, [log(0, 'DEBUG', 'early')])
    expect(held.map((l) => l.message)).toEqual(['early', 'a', 'b', 'c'])
  })

  it('filters by level, task and text', () => {
    const all = [log(1, 'DEBUG', 'noise'), log(2, 'INFO', 'Loaded rows', 't2'), log(3, 'ERROR', 'boom')]
    expect(filterLogs(all, { minLevel: 'INFO', taskId: '', text: '' }).map((l) => l.message)).toEqual(['Loaded rows', 'boom'])
    expect(filterLogs(all, { minLevel: 'TRACE', taskId: 't2', text: '' })).toHaveLength(1)
    expect(filterLogs(all, { minLevel: 'TRACE', taskId: '', text: 'BOOM' }).map((l) => l.message)).toEqual(['boom'])
  })

  it('keeps ANSI colours and escapes HTML', () => {
    const html = ansiHtml('\u001b[31mred\u001b[0m <script>')
    expect(html).toContain('color:#A00')
    expect(html).toContain('&lt;script&gt;')
    expect(html).not.toContain('<script>')
  })
})
