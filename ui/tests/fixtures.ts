import type { Execution, StateType, TaskRun } from '@/api/models'

export function run(id: string, taskId: string, attempts: [string, string | null, StateType][], extra: Partial<TaskRun> = {}): TaskRun {
  const last = attempts[attempts.length - 1]
  return {
    id,
    taskId,
    attempts: attempts.map(([start, end, state]) => ({ state: { current: state, startDate: start, endDate: end } })),
    state: { current: last?.[2] ?? 'CREATED', startDate: attempts[0]?.[0], endDate: last?.[1] ?? null },
    ...extra,
  }
}

export function execution(id: string, state: StateType, start: string, end: string | null, taskRuns: TaskRun[] = [], extra: Partial<Execution> = {}): Execution {
  return {
    id,
    namespace: 'company.team',
    flowId: 'etl',
    state: { current: state, startDate: start, endDate: end, histories: [{ state: 'CREATED', date: start }] },
    taskRunList: taskRuns,
    ...extra,
  }
}
