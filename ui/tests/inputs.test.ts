import { describe, expect, it } from 'vitest'
import { checkInputs, formData, inputFields } from '@/lib/inputs'

const fields = inputFields([
  { id: 'name', type: 'STRING', defaults: 'Ada', required: true },
  { id: 'count', type: 'INT', required: true },
  { id: 'ratio', type: 'FLOAT', required: false },
  { id: 'go', type: 'BOOLEAN', defaults: true },
  { id: 'when', type: 'DATETIME', defaults: '2026-01-02T03:04:05Z' },
  { id: 'env', type: 'SELECT', values: ['dev', 'prod'], defaults: 'dev' },
  { id: 'data', type: 'FILE', required: false },
  { id: 'conf', type: 'JSON', defaults: { a: 1 } },
  { id: 'token', type: 'SECRET', required: false },
  { id: 'tags', type: 'MULTISELECT', values: ['x', 'y'], required: false },
])
const byId = Object.fromEntries(fields.map((f) => [f.id, f]))

describe('inputFields', () => {
  it('chooses a widget per type, with defaults', () => {
    expect(fields.map((f) => f.widget)).toEqual(['text', 'number', 'number', 'checkbox', 'datetime', 'select', 'file', 'json', 'password', 'multiselect'])
    expect(byId.name!.initial).toBe('Ada')
    expect(byId.go!.initial).toBe(true)
    expect(byId.when!.initial).toBe('2026-01-02T03:04:05')
    expect(byId.env!.options).toEqual(['dev', 'prod'])
    expect(JSON.parse(byId.conf!.initial as string)).toEqual({ a: 1 })
    expect(byId.count!.step).toBe('1')
  })

  it('an input is required unless it says otherwise or has a default', () => {
    expect(byId.name!.required).toBe(false)
    expect(byId.count!.required).toBe(true)
    expect(byId.ratio!.required).toBe(false)
  })
})

describe('checkInputs', () => {
  const values = Object.fromEntries(fields.map((f) => [f.id, f.initial]))
  it('names the field and the problem', () => {
    expect(checkInputs(fields, values)).toEqual({ count: 'required' })
    expect(checkInputs(fields, { ...values, count: '1.5' })).toEqual({ count: 'must be a whole number' })
    expect(checkInputs(fields, { ...values, count: '3', ratio: 'abc' })).toEqual({ ratio: 'must be a number' })
    expect(checkInputs(fields, { ...values, count: '3', conf: '{bad' }).conf).toMatch(/^invalid JSON/)
    expect(checkInputs(fields, { ...values, count: '3', env: 'qa' })).toEqual({ env: 'must be one of dev, prod' })
    expect(checkInputs(fields, { ...values, count: '3' })).toEqual({})
  })
})

describe('formData', () => {
  it('sends strings, booleans, files and zoned datetimes; leaves out empty optionals', () => {
    const file = new File(['a,b\n1,2\n'], 'data.csv', { type: 'text/csv' })
    const values = { ...Object.fromEntries(fields.map((f) => [f.id, f.initial])), count: '3', data: file, go: false, tags: ['y'] }
    const data = formData(fields, values)
    expect(data.get('name')).toBe('Ada')
    expect(data.get('count')).toBe('3')
    expect(data.get('go')).toBe('false')
    expect((data.get('data') as File).name).toBe('data.csv')
    expect(data.get('when')).toBe(new Date('2026-01-02T03:04:05').toISOString())
    expect(data.get('tags')).toBe('["y"]')
    expect(data.has('ratio')).toBe(false)
    expect(data.has('token')).toBe(false)
  })
})
