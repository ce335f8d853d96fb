import { describe, expect, it } from 'vitest'
import { markersFromDetails, markersFromValidation } from '@/lib/validation'

describe('markersFromValidation', () => {
  it('uses positioned problems as they are', () => {
    const markers = markersFromValidation([{ problems: [{ message: "unknown task type 'Logg'", line: 7, column: 11 }] }])
    expect(markers).toEqual([{ line: 7, column: 11, message: "unknown task type 'Logg'", severity: 'error' }])
  })

  it('reads positions from CLI-style constraint lines and warnings', () => {
    const markers = markersFromValidation([
      {
        constraints: "flow.yaml:5:11: task 'hello': unknown task type\nmissing property 'id' at line 2, column 1",
        warnings: ["flow.yaml:9:3: warning: task 'x': property 'message': invalid template"],
      },
    ])
    expect(markers.map((m) => [m.line, m.column, m.severity])).toEqual([[2, 1, 'error'], [5, 11, 'error'], [9, 3, 'warning']])
    expect(markers[1]!.message).toBe("task 'hello': unknown task type")
  })

  it('marks the first line when a problem has no position', () => {
    expect(markersFromValidation([{ constraints: 'flow is empty' }])).toEqual([{ line: 1, column: 1, message: 'flow is empty', severity: 'error' }])
  })

  it('a valid flow has no markers', () => {
    expect(markersFromValidation([{ constraints: null, warnings: [] }])).toEqual([])
  })
})

describe('markersFromDetails', () => {
  it('reads the problems of a refused save', () => {
    expect(markersFromDetails({ problems: [{ message: 'bad', line: 3, column: 4 }] })).toEqual([{ line: 3, column: 4, message: 'bad', severity: 'error' }])
    expect(markersFromDetails(['f.yaml:2:5: oops'])[0]).toMatchObject({ line: 2, column: 5, message: 'oops' })
    expect(markersFromDetails('nothing positioned')).toEqual([])
  })
})
