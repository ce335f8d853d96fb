/**
 * Editor markers from `/flows/validate`: positioned problems when the server gives them,
 * else positions read from the messages themselves (`file:line:col: message`, as the CLI
 * prints them, or `at line L, column C`); an unpositioned problem marks the first line.
 */
import type { FlowValidation, ValidationProblem } from '@/api/models'

export interface Marker {
  line: number
  column: number
  message: string
  severity: 'error' | 'warning'
}

const PREFIXED = /^(?:[^:\n]*:)?(\d+):(\d+):\s*(?:(warning|error):\s*)?(.*)$/
const INLINE = /line (\d+),? column (\d+)/i

function fromMessage(text: string, severity: 'error' | 'warning'): Marker {
  const prefixed = PREFIXED.exec(text)
  if (prefixed) {
    const [, line, column, level, message] = prefixed
    return {
      line: Number(line),
      column: Number(column),
      message: (message ?? text).trim(),
      severity: level === 'warning' ? 'warning' : severity,
    }
  }
  const inline = INLINE.exec(text)
  return {
    line: inline ? Number(inline[1]) : 1,
    column: inline ? Number(inline[2]) : 1,
    message: text.trim(),
    severity,
  }
}

function fromProblem(problem: ValidationProblem): Marker {
  if (problem.line) {
    return {
      line: problem.line,
      column: problem.column ?? 1,
      message: problem.message,
      severity: problem.severity ?? 'error',
    }
  }
  return fromMessage(problem.message, problem.severity ?? 'error')
}

export function markersFromValidation(results: FlowValidation[]): Marker[] {
  const markers: Marker[] = []
  for (const result of results) {
    if (result.problems?.length) {
      markers.push(...result.problems.map(fromProblem))
    } else if (result.constraints) {
      markers.push(
        ...result.constraints.split('\n').filter((l) => l.trim()).map((l) => fromMessage(l, 'error')),
      )
    }
    if (!result.problems?.length) {
      markers.push(...(result.warnings ?? []).map((w) => fromMessage(w, 'warning')))
    }
  }
  return markers.sort((a, b) => a.line - b.line || a.column - b.column)
}

/** Markers from an error's details (a save refused with 422 carries the same problems). */
export function markersFromDetails(details: unknown): Marker[] {
  if (Array.isArray(details)) {
    return details.flatMap((d): Marker[] => {
      if (typeof d === 'string') return [fromMessage(d, 'error')]
      if (d && typeof d === 'object' && 'message' in d) return [fromProblem(d as ValidationProblem)]
      return []
    })
  }
  if (details && typeof details === 'object' && 'problems' in details) {
    return markersFromDetails((details as { problems: unknown }).problems)
  }
  return []
}
