import type { components } from './schema'

/**
 * Domain types the pages use. They follow Kestra's API shapes (which Kestrel's API keeps).
 * When `schema.d.ts` is generated from the server's OpenAPI document, these become aliases
 * of `components['schemas'][...]`; pages import only from here, so nothing else changes.
 */

/** The states the server declares (generated from its OpenAPI document). */
export type StateType = components['schemas']['StateType']

export interface StateHistory {
  state: StateType
  date: string
}

export interface State {
  current: StateType
  histories?: StateHistory[]
  startDate?: string
  endDate?: string | null
  duration?: string | number | null
}

export interface Label {
  key: string
  value: string
}

export interface FlowInput {
  id: string
  type: string
  displayName?: string
  description?: string
  required?: boolean
  defaults?: unknown
  values?: string[]
  options?: string[]
  allowCustomValue?: boolean
  min?: number | string
  max?: number | string
  itemType?: string
}

export interface TaskDef {
  id: string
  type: string
  description?: string
  disabled?: boolean
  tasks?: TaskDef[]
  errors?: TaskDef[]
  finally?: TaskDef[]
  [key: string]: unknown
}

export interface TriggerDef {
  id: string
  type: string
  cron?: string
  disabled?: boolean
  [key: string]: unknown
}

export interface Flow {
  id: string
  namespace: string
  revision?: number
  description?: string
  labels?: Label[] | Record<string, string>
  inputs?: FlowInput[]
  tasks?: TaskDef[]
  errors?: TaskDef[]
  finally?: TaskDef[]
  triggers?: TriggerDef[]
  disabled?: boolean
  deleted?: boolean
  source?: string
  updated?: string
}

export interface TaskRunAttempt {
  state: State
  workerId?: string
}

export interface TaskRun {
  id: string
  executionId?: string
  taskId: string
  parentTaskRunId?: string | null
  value?: string | null
  iteration?: number | null
  attempts?: TaskRunAttempt[] | null
  outputs?: Record<string, unknown> | null
  state: State
}

export interface Execution {
  id: string
  namespace: string
  flowId: string
  flowRevision?: number
  state: State
  taskRunList?: TaskRun[] | null
  inputs?: Record<string, unknown> | null
  outputs?: Record<string, unknown> | null
  labels?: Label[] | null
  parentId?: string | null
  originalId?: string | null
  trigger?: { id: string; type: string; variables?: Record<string, unknown> } | null
  /** Kestrel's snapshot sequence number: a later snapshot has a higher one. */
  seq?: number
  /** Set for a long execution: how many task runs it has. A snapshot listing fewer is a
   * header (its task runs travel apart, on Kafka's `task-runs` topic). */
  taskRunCount?: number | null
}

export type LogLevel = 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR'

export interface LogEntry {
  namespace?: string
  flowId?: string
  executionId?: string
  taskId?: string | null
  taskRunId?: string | null
  attemptNumber?: number | null
  timestamp: string
  level: LogLevel
  message: string
}

export interface PagedResults<T> {
  results: T[]
  total: number
}

/** Kestra's flow graph: nodes, edges and clusters (flowable tasks as groups). */
export interface GraphNode {
  uid: string
  type: string
  task?: { id: string; type: string } | null
  trigger?: { id: string; type: string } | null
  relationType?: string | null
  taskRun?: TaskRun | null
  executionId?: string | null
}

export interface GraphEdge {
  source: string
  target: string
  relation?: { relationType?: string | null; value?: string | null } | null
}

export interface GraphCluster {
  cluster: GraphNode
  nodes: string[]
  parents?: string[]
  start?: string
  end?: string
}

export interface FlowGraph {
  nodes: GraphNode[]
  edges: GraphEdge[]
  clusters?: GraphCluster[]
}

/** One problem of `POST /flows/validate`, positioned when the server knows where. */
export interface ValidationProblem {
  message: string
  line?: number | null
  column?: number | null
  severity?: 'error' | 'warning'
}

/** One document's result of `POST /flows/validate` (Kestra's ValidateConstraintViolation). */
export interface FlowValidation {
  index?: number
  flow?: string
  namespace?: string
  constraints?: string | null
  warnings?: string[] | null
  infos?: string[] | null
  problems?: ValidationProblem[] | null
}

export interface Trigger {
  namespace: string
  flowId: string
  triggerId: string
  date?: string | null
  /** Kestrel's name; Kestra's is `nextExecutionDate`. */
  nextDate?: string | null
  nextExecutionDate?: string | null
  lastDate?: string | null
  disabled?: boolean
  fired?: number
  /** When the scheduler last wrote this state (absent on a row only declared by the flow). */
  updated?: string
  backfill?: {
    start: string
    end?: string | null
    /** The next slot to fire; null once every slot has fired. */
    nextDate?: string | null
    currentDate?: string | null
    paused?: boolean
    fired?: number
    inputs?: Record<string, unknown>
  } | null
}

export interface PluginSummary {
  tasks?: string[]
  triggers?: string[]
  conditions?: string[]
  [key: string]: unknown
}

export interface PluginSchema {
  cls: string
  kind: string
  schema?: PluginDoc['schema']
}

export interface PluginDoc {
  markdown?: string
  schema?: {
    properties?: Record<string, unknown>
    definitions?: Record<string, unknown>
    $defs?: Record<string, unknown>
  } & Record<string, unknown>
}

export interface NamespaceInfo {
  id: string
  disabled?: boolean
}

/** A flow with FAILED executions in a range, and how many executions it started in all. */
export type FailingFlow = components['schemas']['FailingFlowView']

/** Everything the dashboard shows for a range, from one request (`daily` as below). */
export interface DashboardFigures {
  daily: DailyStatistics[]
  failingFlows: FailingFlow[]
  running: number
  queued: number
  /** Durations of the latest ended executions of the range, newest first. */
  durationsMs: number[]
}

export interface DailyStatistics {
  startDate: string
  executionCounts: Partial<Record<StateType, number>>
  duration?: { avg?: number; min?: number; max?: number; sum?: number }
}
