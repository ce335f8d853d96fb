import { describe, expect, it } from 'vitest'
import type { Flow, Trigger } from '@/api/models'
import { applyTriggerEvent, declaredTriggers } from '@/lib/triggers'

const flow = {
  namespace: 'n',
  id: 'f',
  triggers: [
    { id: 'daily', type: 'io.kestra.plugin.core.trigger.Schedule' },
    { id: 'off', type: 'io.kestra.plugin.core.trigger.Schedule', disabled: true },
  ],
} as unknown as Flow
const state = (triggerId: string, changes: Partial<Trigger> = {}): Trigger => ({ namespace: 'n', flowId: 'f', triggerId, ...changes })

describe('trigger rows', () => {
  it('start as the declared triggers, disabled ones marked', () => {
    expect(declaredTriggers(flow).map((t) => [t.triggerId, t.disabled])).toEqual([
      ['daily', false],
      ['off', true],
    ])
  })

  it('take each state in place, and add an unknown trigger at the end', () => {
    let rows = declaredTriggers(flow)
    rows = applyTriggerEvent(rows, flow, state('daily', { nextDate: '2030-01-01T00:00:00Z' }), 'progress')
    rows = applyTriggerEvent(rows, flow, state('daily', { disabled: true, nextDate: '2030-01-02T00:00:00Z' }), 'progress')
    rows = applyTriggerEvent(rows, flow, state('legacy'), 'progress')
    expect(rows.map((t) => [t.triggerId, t.disabled ?? false, t.nextDate ?? null])).toEqual([
      ['daily', true, '2030-01-02T00:00:00Z'],
      ['off', true, null],
      ['legacy', false, null],
    ])
  })

  it('ignore another flow, and fall back to the declaration on a deletion', () => {
    let rows = applyTriggerEvent(declaredTriggers(flow), flow, state('daily', { fired: 3 }), 'progress')
    const other = { ...state('daily', { fired: 9 }), flowId: 'g' }
    expect(applyTriggerEvent(rows, flow, other, 'progress')).toBe(rows)
    rows = applyTriggerEvent(rows, flow, state('legacy'), 'progress')
    rows = applyTriggerEvent(rows, flow, state('daily'), 'deleted')
    rows = applyTriggerEvent(rows, flow, state('legacy'), 'deleted')
    expect(rows).toEqual(declaredTriggers(flow))
  })
})
