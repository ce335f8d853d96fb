/** A backfill's progress: the share of its span already fired (its next slot's position). */
import type { Trigger } from '@/api/models'

export interface BackfillProgress {
  percent: number
  done: boolean
  fired: number
}

export function backfillProgress(trigger: Trigger, now: number = Date.now()): BackfillProgress | null {
  const b = trigger.backfill
  if (!b) return null
  const start = Date.parse(b.start)
  const end = b.end ? Date.parse(b.end) : now
  const next = b.nextDate ?? b.currentDate
  // No next slot (null, or left out of the JSON) means every slot has fired.
  const done = next === undefined || next === null || Date.parse(next) > end
  const at = done ? end : next ? Date.parse(next) : start
  const percent = Math.round((100 * Math.min(Math.max(at - start, 0), end - start)) / Math.max(1, end - start))
  return { percent: done ? 100 : percent, done, fired: b.fired ?? 0 }
}
