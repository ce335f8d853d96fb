/**
 * The run (and resume) form, generated from a flow's typed inputs: one field per input with
 * the widget its type calls for, its default, and the checks the browser can make before the
 * server has its say. `formData` builds the multipart body Kestra's API takes (files as parts).
 */
import type { FlowInput } from '@/api/models'

export type FieldWidget =
  | 'text'
  | 'textarea'
  | 'number'
  | 'checkbox'
  | 'datetime'
  | 'date'
  | 'time'
  | 'select'
  | 'multiselect'
  | 'file'
  | 'password'
  | 'json'
  | 'url'
  | 'email'

export interface InputField {
  id: string
  label: string
  type: string
  widget: FieldWidget
  required: boolean
  description: string
  options: string[]
  step: string | null
  initial: FieldValue
}

export type FieldValue = string | boolean | string[] | File | null

const WIDGETS: Record<string, FieldWidget> = {
  STRING: 'text',
  INT: 'number',
  FLOAT: 'number',
  BOOLEAN: 'checkbox',
  BOOL: 'checkbox',
  DATETIME: 'datetime',
  DATE: 'date',
  TIME: 'time',
  DURATION: 'text',
  SELECT: 'select',
  ENUM: 'select',
  MULTISELECT: 'multiselect',
  FILE: 'file',
  SECRET: 'password',
  JSON: 'json',
  YAML: 'textarea',
  ARRAY: 'json',
  URI: 'url',
  URL: 'url',
  EMAIL: 'email',
}

function initialValue(input: FlowInput, widget: FieldWidget): FieldValue {
  const d = input.defaults
  if (widget === 'checkbox') return d === true || d === 'true'
  if (widget === 'file') return null
  if (widget === 'multiselect') return Array.isArray(d) ? d.map(String) : []
  if (d === undefined || d === null) return ''
  if (widget === 'json') return typeof d === 'string' ? d : JSON.stringify(d, null, 2)
  if (widget === 'datetime' && typeof d === 'string') return d.replace(/(:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)?$/, '$1')
  return String(d)
}

export function inputFields(inputs: FlowInput[] | undefined): InputField[] {
  return (inputs ?? []).map((input) => {
    const type = input.type.toUpperCase()
    const widget = WIDGETS[type] ?? 'text'
    return {
      id: input.id,
      label: input.displayName ?? input.id,
      type,
      widget,
      // As in Kestra, inputs are required unless they say otherwise; a default satisfies it.
      required: (input.required ?? true) && (input.defaults === undefined || input.defaults === null),
      description: input.description ?? '',
      options: (input.values ?? input.options ?? []).map(String),
      step: type === 'INT' ? '1' : type === 'FLOAT' ? 'any' : widget === 'datetime' ? '1' : null,
      initial: initialValue(input, widget),
    }
  })
}

/** Problems the form can see before sending, by field id (empty when none). */
export function checkInputs(fields: InputField[], values: Record<string, FieldValue>): Record<string, string> {
  const problems: Record<string, string> = {}
  for (const field of fields) {
    const v = values[field.id]
    const empty = v === null || v === undefined || v === '' || (Array.isArray(v) && v.length === 0)
    if (empty) {
      if (field.required && field.widget !== 'checkbox') problems[field.id] = 'required'
      continue
    }
    if (field.type === 'INT' && typeof v === 'string' && !/^-?\d+$/.test(v.trim())) {
      problems[field.id] = 'must be a whole number'
    } else if (field.type === 'FLOAT' && typeof v === 'string' && Number.isNaN(Number(v))) {
      problems[field.id] = 'must be a number'
    } else if (field.widget === 'json' && typeof v === 'string') {
      try {
        JSON.parse(v)
      } catch (e) {
        problems[field.id] = `invalid JSON: ${(e as Error).message}`
      }
    } else if (field.widget === 'select' && typeof v === 'string' && field.options.length && !field.options.includes(v)) {
      problems[field.id] = `must be one of ${field.options.join(', ')}`
    }
  }
  return problems
}

/** The multipart body: strings as fields, files as file parts; empty optional fields omitted. */
export function formData(fields: InputField[], values: Record<string, FieldValue>): FormData {
  const data = new FormData()
  for (const field of fields) {
    const v = values[field.id]
    if (v === null || v === undefined || v === '') continue
    if (v instanceof File) data.append(field.id, v, v.name)
    else if (typeof v === 'boolean') data.append(field.id, String(v))
    else if (Array.isArray(v)) {
      if (v.length) data.append(field.id, JSON.stringify(v))
    } else if (field.widget === 'datetime' && !/(Z|[+-]\d\d:\d\d)$/.test(v)) {
      // datetime-local has no zone: send the instant the user meant, in their zone.
      data.append(field.id, new Date(v).toISOString())
    } else data.append(field.id, v)
  }
  return data
}
