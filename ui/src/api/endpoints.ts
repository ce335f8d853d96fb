/**
 * Every API call the pages make, typed, on Kestra's paths (which Kestrel's API keeps).
 * Pages import from here only; regenerate `schema.d.ts` (npm run api:generate) when the
 * server's OpenAPI document changes and the compiler points at what moved.
 */
import { apiUrl, request, type Query } from './http'
import type {
  DailyStatistics,
  Execution,
  Flow,
  FlowGraph,
  FlowValidation,
  LogEntry,
  NamespaceInfo,
  PagedResults,
  PluginDoc,
  PluginSummary,
  Trigger,
} from './models'
import { follow, type FollowOptions, type Subscription } from './sse'

const enc = encodeURIComponent
const flowPath = (namespace: string, id: string): string => `/flows/${enc(namespace)}/${enc(id)}`
const YAML = 'application/x-yaml'

export interface FlowSearch {
  q?: string
  namespace?: string
  labels?: string[]
  page?: number
  size?: number
  sort?: string
}

export const flows = {
  search: (search: FlowSearch) =>
    request<PagedResults<Flow>>('GET', '/flows/search', { query: search as Query }),
  get: (namespace: string, id: string, revision?: number) =>
    request<Flow>('GET', flowPath(namespace, id), { query: { source: true, revision } }),
  create: (source: string) => request<Flow>('POST', '/flows', { body: source, contentType: YAML }),
  update: (namespace: string, id: string, source: string) =>
    request<Flow>('PUT', flowPath(namespace, id), { body: source, contentType: YAML }),
  remove: (namespace: string, id: string) => request<undefined>('DELETE', flowPath(namespace, id)),
  validate: (source: string) =>
    request<FlowValidation[]>('POST', '/flows/validate', { body: source, contentType: YAML }),
  graph: (namespace: string, id: string, revision?: number) =>
    request<FlowGraph>('GET', `${flowPath(namespace, id)}/graph`, { query: { revision } }),
  revisions: (namespace: string, id: string) =>
    request<Flow[]>('GET', `${flowPath(namespace, id)}/revisions`),
}

export interface ExecutionSearch {
  q?: string
  namespace?: string
  flowId?: string
  state?: string[]
  labels?: string[]
  startDate?: string
  endDate?: string
  page?: number
  size?: number
  sort?: string
}

export const executions = {
  search: (search: ExecutionSearch) =>
    request<PagedResults<Execution>>('GET', '/executions/search', { query: search as Query }),
  get: (id: string) => request<Execution>('GET', `/executions/${enc(id)}`),
  graph: (id: string) => request<FlowGraph>('GET', `/executions/${enc(id)}/graph`),
  /** Starts an execution; inputs (files included) go as multipart form data, as in Kestra. */
  trigger: (namespace: string, id: string, inputs: FormData, labels: string[] = []) =>
    request<Execution>('POST', `/executions/${enc(namespace)}/${enc(id)}`, {
      body: inputs,
      query: { labels },
    }),
  kill: (id: string) => request<undefined>('DELETE', `/executions/${enc(id)}/kill`),
  restart: (id: string) => request<Execution>('POST', `/executions/${enc(id)}/restart`),
  resume: (id: string, inputs: FormData) =>
    request<undefined>('POST', `/executions/${enc(id)}/resume`, { body: inputs }),
  replay: (id: string, taskRunId?: string) =>
    request<Execution>('POST', `/executions/${enc(id)}/replay`, { query: { taskRunId } }),
  killByIds: (ids: string[]) =>
    request<{ count: number }>('DELETE', '/executions/kill/by-ids', { json: ids }),
  restartByIds: (ids: string[]) =>
    request<{ count: number }>('POST', '/executions/restart/by-ids', { json: ids }),
  fileUrl: (id: string, path: string) => apiUrl(`/executions/${enc(id)}/file`, { path }),
  filePreview: (id: string, path: string) =>
    request<{ extension?: string; content: unknown; truncated?: boolean }>(
      'GET',
      `/executions/${enc(id)}/file/preview`,
      { query: { path } },
    ),
  follow: (id: string, options: FollowOptions<Execution>): Subscription =>
    follow<Execution>(`/executions/${enc(id)}/follow`, options),
}

export interface LogSearch {
  q?: string
  namespace?: string
  flowId?: string
  minLevel?: string
  startDate?: string
  endDate?: string
  page?: number
  size?: number
}

export const logs = {
  ofExecution: (id: string, query: { minLevel?: string; taskId?: string } = {}) =>
    request<LogEntry[]>('GET', `/logs/${enc(id)}`, { query }),
  downloadUrl: (id: string, query: { minLevel?: string; taskId?: string } = {}) =>
    apiUrl(`/logs/${enc(id)}/download`, query),
  search: (search: LogSearch) =>
    request<PagedResults<LogEntry>>('GET', '/logs/search', { query: search as Query }),
  follow: (id: string, options: FollowOptions<LogEntry>): Subscription =>
    follow<LogEntry>(`/logs/${enc(id)}/follow`, options),
}

export const triggers = {
  search: (query: { namespace?: string; flowId?: string; page?: number; size?: number }) =>
    request<PagedResults<Trigger>>('GET', '/triggers/search', { query }),
  setDisabled: (trigger: Trigger, disabled: boolean) =>
    request<Trigger>('PUT', '/triggers', { json: { ...trigger, disabled } }),
  backfill: (trigger: Trigger, backfill: { start: string; end?: string; inputs?: Record<string, unknown> }) =>
    request<Trigger>('PUT', '/triggers/backfill', { json: { ...trigger, backfill } }),
  pauseBackfill: (trigger: Trigger) => request<Trigger>('PUT', '/triggers/backfill/pause', { json: trigger }),
  unpauseBackfill: (trigger: Trigger) =>
    request<Trigger>('PUT', '/triggers/backfill/unpause', { json: trigger }),
  deleteBackfill: (trigger: Trigger) => request<Trigger>('POST', '/triggers/backfill/delete', { json: trigger }),
}

export const plugins = {
  list: () => request<PluginSummary[]>('GET', '/plugins'),
  doc: (cls: string) => request<PluginDoc>('GET', `/plugins/${enc(cls)}`),
  /** The JSON Schema of a whole flow, fed to monaco-yaml for completion and validation. */
  flowSchema: () => request<Record<string, unknown>>('GET', '/plugins/schemas/flow'),
}

export const namespaces = {
  search: (query: { q?: string; page?: number; size?: number } = {}) =>
    request<PagedResults<NamespaceInfo>>('GET', '/namespaces/search', { query }),
}

export const stats = {
  daily: (filter: { namespace?: string; flowId?: string; startDate: string; endDate: string }) =>
    request<DailyStatistics[]>('POST', '/stats/executions/daily', { json: filter }),
}
