/**
 * A JSON Schema of a whole flow, assembled from the API's per-type schemas
 * (`GET /plugins/{cls}`), for monaco-yaml's completion and hovers: the flow's own keys,
 * `type:` completing to every task (or trigger) type, and each type's properties once its
 * `type:` is written. Each type's `$defs` are moved under the flow's `definitions` with a
 * prefix so their `$ref`s still resolve.
 */

export interface TypeSchema {
  cls: string
  kind: 'task' | 'trigger'
  schema: Record<string, unknown>
}

export const INPUT_TYPES = [
  'STRING', 'INT', 'FLOAT', 'BOOLEAN', 'DATETIME', 'DATE', 'TIME', 'DURATION', 'SELECT', 'MULTISELECT',
  'FILE', 'JSON', 'YAML', 'SECRET', 'URI', 'EMAIL', 'ARRAY', 'ENUM',
]

type Json = unknown

function rewriteRefs(value: Json, prefix: string): Json {
  if (Array.isArray(value)) return value.map((v) => rewriteRefs(v, prefix))
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, Json>).map(([k, v]) => [
        k,
        k === '$ref' && typeof v === 'string' ? v.replace(/^#\/(\$defs|definitions)\//, `#/definitions/${prefix}`) : rewriteRefs(v, prefix),
      ]),
    )
  }
  return value
}

const safe = (cls: string): string => `${cls.replace(/[^A-Za-z0-9]/g, '_')}__`

function kindSchema(types: TypeSchema[], definitions: Record<string, Json>): Record<string, Json> {
  return {
    type: 'object',
    required: ['id', 'type'],
    properties: {
      id: { type: 'string', description: 'Unique id of this task or trigger in the flow' },
      type: { type: 'string', enum: types.map((t) => t.cls), description: 'The plugin type' },
    },
    allOf: types.map((t) => {
      const prefix = safe(t.cls)
      const own = rewriteRefs(t.schema, prefix) as Record<string, Json>
      for (const [name, def] of Object.entries((own.$defs ?? own.definitions ?? {}) as Record<string, Json>)) {
        definitions[`${prefix}${name}`] = def
      }
      const properties = { ...((own.properties ?? {}) as Record<string, Json>) }
      delete properties.id
      delete properties.type
      return {
        if: { properties: { type: { const: t.cls } }, required: ['type'] },
        then: { properties, ...(own.description ? { description: own.description } : {}) },
      }
    }),
  }
}

export function flowSchema(types: TypeSchema[]): Record<string, Json> {
  const definitions: Record<string, Json> = {}
  definitions.task = kindSchema(types.filter((t) => t.kind === 'task'), definitions)
  definitions.trigger = kindSchema(types.filter((t) => t.kind === 'trigger'), definitions)
  const tasks = { type: 'array', items: { $ref: '#/definitions/task' } }
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    type: 'object',
    required: ['id', 'namespace', 'tasks'],
    properties: {
      id: { type: 'string', description: 'The flow id, unique in its namespace' },
      namespace: { type: 'string', description: 'Dot-separated namespace, e.g. company.team' },
      description: { type: 'string' },
      labels: { type: 'object', additionalProperties: { type: 'string' } },
      disabled: { type: 'boolean' },
      inputs: {
        type: 'array',
        items: {
          type: 'object',
          required: ['id', 'type'],
          properties: {
            id: { type: 'string' },
            type: { type: 'string', enum: INPUT_TYPES },
            displayName: { type: 'string' },
            description: { type: 'string' },
            required: { type: 'boolean' },
            defaults: {},
            values: { type: 'array', items: { type: 'string' } },
          },
        },
      },
      variables: { type: 'object' },
      tasks,
      errors: tasks,
      finally: tasks,
      triggers: { type: 'array', items: { $ref: '#/definitions/trigger' } },
      concurrency: { type: 'object', properties: { limit: { type: 'integer' }, behavior: { enum: ['QUEUE', 'CANCEL', 'FAIL'] } } },
    },
    definitions,
  }
}
