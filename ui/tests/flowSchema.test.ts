import { describe, expect, it } from 'vitest'
import { flowSchema } from '@/lib/flowSchema'

const log = {
  cls: 'io.kestra.plugin.core.log.Log',
  kind: 'task' as const,
  schema: {
    properties: { id: { type: 'string' }, type: { type: 'string' }, message: { type: 'string' }, level: { $ref: '#/$defs/Level' } },
    $defs: { Level: { enum: ['INFO', 'WARN'] } },
  },
}
const schedule = { cls: 'io.kestra.plugin.core.trigger.Schedule', kind: 'trigger' as const, schema: { properties: { cron: { type: 'string' } } } }

describe('flowSchema', () => {
  const schema = flowSchema([log, schedule]) as { definitions: Record<string, any>; properties: Record<string, any> }

  it('completes task and trigger types separately', () => {
    expect(schema.definitions.task.properties.type.enum).toEqual(['io.kestra.plugin.core.log.Log'])
    expect(schema.definitions.trigger.properties.type.enum).toEqual(['io.kestra.plugin.core.trigger.Schedule'])
    expect(schema.properties.errors.items.$ref).toBe('#/definitions/task')
  })

  it("offers a type's properties once its type is written, with its refs still resolving", () => {
    const branch = schema.definitions.task.allOf[0]
    expect(branch.if.properties.type.const).toBe('io.kestra.plugin.core.log.Log')
    expect(Object.keys(branch.then.properties)).toEqual(['message', 'level'])
    const ref = branch.then.properties.level.$ref as string
    expect(ref).toBe('#/definitions/io_kestra_plugin_core_log_Log__Level')
    expect(schema.definitions[ref.split('/').pop()!]).toEqual({ enum: ['INFO', 'WARN'] })
  })
})
