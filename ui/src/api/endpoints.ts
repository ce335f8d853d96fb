/**
 * Every API call the pages make, on the generated client (paths and parameters checked
 * against the OpenAPI document). Answers are typed with `models.ts`, which refines the
 * document's looser shapes (task runs, graph clusters) the way the pages read them.
 */
import { client, formBody, unwrap, yamlBody } from './client'
import { apiUrl } from './http'
import type {
  DailyStatistics,
  DashboardFigures,
  Execution,
  FailingFlow,
  Flow,
  FlowGraph,
  FlowValidation,
  LogEntry,
  PagedResults,
  PluginDoc,
  PluginSchema,
  PluginSummary,
  StateType,
  Trigger,
} from './models'
import { follow, type FollowOptions, type Subscription } from './sse'

const enc = encodeURIComponent
const main = '/api/v1/main'

export interface FlowSearch {
  q?: string
  namespace?: string
  labels?: string[]
  page?: number
  size?: number
  sort?: string
}

const sortList = (sort?: string): string[] | undefined => (sort ? [sort] : undefined)
const blank = <T>(v: T | '' | undefined): T | undefined => (v === '' ? undefined : v)

export const flows = {
  search: async (s: FlowSearch): Promise<PagedResults<Flow>> =>
    (await unwrap(
      client.GET(`${main}/flows/search`, {
        params: { query: { q: blank(s.q), namespace: blank(s.namespace), labels: s.labels, page: s.page, size: s.size, sort: sortList(s.sort) } },
      }),
    )) as PagedResults<Flow>,
  get: async (namespace: string, id: string): Promise<Flow> =>
    (await unwrap(client.GET(`${main}/flows/{namespace}/{id}`, { params: { path: { namespace, id }, query: { source: true } } }))) as Flow,
  create: async (source: string): Promise<Flow> =>
    (await unwrap(client.POST(`${main}/flows`, { body: source, ...yamlBody }))) as Flow,
  update: async (namespace: string, id: string, source: string): Promise<Flow> =>
    (await unwrap(client.PUT(`${main}/flows/{namespace}/{id}`, { params: { path: { namespace, id } }, body: source, ...yamlBody }))) as Flow,
  remove: async (namespace: string, id: string): Promise<void> => {
    await unwrap(client.DELETE(`${main}/flows/{namespace}/{id}`, { params: { path: { namespace, id } } }))
  },
  validate: async (source: string): Promise<FlowValidation[]> =>
    (await unwrap(client.POST(`${main}/flows/validate`, { body: source, ...yamlBody }))) as FlowValidation[],
  graph: async (namespace: string, id: string): Promise<FlowGraph> =>
    (await unwrap(client.GET(`${main}/flows/{namespace}/{id}/graph`, { params: { path: { namespace, id } } }))) as FlowGraph,
  revisions: async (namespace: string, id: string): Promise<Flow[]> =>
    (await unwrap(client.GET(`${main}/flows/{namespace}/{id}/revisions`, { params: { path: { namespace, id } } }))) as Flow[],
  namespaces: async (): Promise<string[]> => await unwrap(client.GET(`${main}/flows/distinct-namespaces`)),
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

const path = (executionId: string) => ({ params: { path: { executionId } } })

export const executions = {
  search: async (s: ExecutionSearch): Promise<PagedResults<Execution>> =>
    (await unwrap(
      client.GET(`${main}/executions/search`, {
        params: {
          query: {
            q: blank(s.q), namespace: blank(s.namespace), flowId: blank(s.flowId), state: s.state as StateType[] | undefined,
            labels: s.labels, startDate: blank(s.startDate), endDate: blank(s.endDate), page: s.page, size: s.size, sort: sortList(s.sort),
          },
        },
      }),
    )) as PagedResults<Execution>,
  get: async (executionId: string): Promise<Execution> =>
    (await unwrap(client.GET(`${main}/executions/{executionId}`, path(executionId)))) as Execution,
  /** Starts an execution; inputs (files included) go as multipart form data, as in Kestra. */
  trigger: async (namespace: string, id: string, inputs: FormData, labels: string[] = []): Promise<Execution> =>
    (await unwrap(
      client.POST(`${main}/executions/{namespace}/{id}`, {
        params: { path: { namespace, id }, query: { labels } },
        body: inputs as never,
        ...formBody,
      }),
    )) as Execution,
  kill: async (executionId: string): Promise<void> => {
    await unwrap(client.DELETE(`${main}/executions/{executionId}/kill`, path(executionId)))
  },
  restart: async (executionId: string): Promise<void> => {
    await unwrap(client.POST(`${main}/executions/{executionId}/restart`, path(executionId)))
  },
  resume: async (executionId: string, inputs: FormData): Promise<void> => {
    await unwrap(client.POST(`${main}/executions/{executionId}/resume`, { ...path(executionId), body: inputs as never, ...formBody }))
  },
  replay: async (executionId: string, taskRunId?: string): Promise<Execution> =>
    (await unwrap(
      client.POST(`${main}/executions/{executionId}/replay`, { params: { path: { executionId }, query: { taskRunId: taskRunId ?? null } } }),
    )) as Execution,
  /** Kills several executions: one call each (the API has no bulk route), all settled. */
  killMany: (ids: string[]) => Promise.allSettled(ids.map((id) => executions.kill(id))),
  restartMany: (ids: string[]) => Promise.allSettled(ids.map((id) => executions.restart(id))),
  fileUrl: (id: string, filePath: string) => apiUrl(`/executions/${enc(id)}/file`, { path: filePath }),
  filePreview: async (executionId: string, filePath: string) =>
    await unwrap(
      client.GET(`${main}/executions/{executionId}/file/preview`, { params: { path: { executionId }, query: { path: filePath } } }),
    ),
  follow: (id: string, options: FollowOptions<Execution>): Subscription => follow<Execution>(`/executions/${enc(id)}/follow`, options),
  /** Every execution of a namespace or flow, new ones and each change (one SSE stream). */
  followAll: (query: { namespace?: string; flowId?: string }, options: FollowOptions<Execution>): Subscription =>
    follow<Execution>('/executions/follow', { ...options, query }),
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
  ofExecution: async (executionId: string, query: { minLevel?: string; taskId?: string } = {}): Promise<LogEntry[]> =>
    (await unwrap(client.GET(`${main}/logs/{executionId}`, { params: { path: { executionId }, query } }))) as LogEntry[],
  downloadUrl: (id: string, query: { minLevel?: string; taskId?: string } = {}) => apiUrl(`/logs/${enc(id)}/download`, query),
  search: async (s: LogSearch): Promise<PagedResults<LogEntry>> =>
    (await unwrap(
      client.GET(`${main}/logs/search`, {
        params: { query: { q: blank(s.q), namespace: blank(s.namespace), flowId: blank(s.flowId), minLevel: blank(s.minLevel), page: s.page, size: s.size } },
      }),
    )) as unknown as PagedResults<LogEntry>,
  follow: (id: string, options: FollowOptions<LogEntry>): Subscription => follow<LogEntry>(`/logs/${enc(id)}/follow`, options),
}

const triggerBody = (t: Trigger) => ({ namespace: t.namespace, flowId: t.flowId, triggerId: t.triggerId })

export const triggers = {
  search: async (query: { namespace?: string; flowId?: string; page?: number; size?: number }): Promise<PagedResults<Trigger>> =>
    (await unwrap(client.GET(`${main}/triggers/search`, { params: { query } }))) as PagedResults<Trigger>,
  setDisabled: async (t: Trigger, disabled: boolean): Promise<void> => {
    await unwrap(client.POST(`${main}/triggers/set-disabled`, { body: { triggers: [triggerBody(t)], disabled } as never }))
  },
  backfill: async (t: Trigger, backfill: { start: string; end?: string; inputs?: Record<string, unknown> }): Promise<void> => {
    await unwrap(client.PUT(`${main}/triggers`, { body: { ...triggerBody(t), backfill } as never }))
  },
  pauseBackfill: async (t: Trigger): Promise<void> => {
    await unwrap(client.POST(`${main}/triggers/backfill/pause`, { body: triggerBody(t) as never }))
  },
  unpauseBackfill: async (t: Trigger): Promise<void> => {
    await unwrap(client.POST(`${main}/triggers/backfill/unpause`, { body: triggerBody(t) as never }))
  },
  deleteBackfill: async (t: Trigger): Promise<void> => {
    await unwrap(client.POST(`${main}/triggers/backfill/delete`, { body: triggerBody(t) as never }))
  },
  /** The states of a flow's (or namespace's) triggers, then each change: `progress` or `deleted`. */
  follow: (query: { namespace?: string; flowId?: string }, options: FollowOptions<Trigger>): Subscription =>
    follow<Trigger>('/triggers/follow', { ...options, query }),
}

export const plugins = {
  list: async (): Promise<PluginSummary[]> => (await unwrap(client.GET(`${main}/plugins`))) as PluginSummary[],
  /** Every type's JSON Schema in one answer (the editor's completion). */
  schemas: async (): Promise<PluginSchema[]> =>
    (await unwrap(client.GET(`${main}/plugins/schemas/all`))) as PluginSchema[],
  doc: async (cls: string): Promise<PluginDoc> =>
    (await unwrap(client.GET(`${main}/plugins/{cls}`, { params: { path: { cls } } }))) as PluginDoc,
}

export const stats = {
  daily: async (query: { namespace?: string; flowId?: string; startDate: string; endDate: string }): Promise<DailyStatistics[]> =>
    (await unwrap(client.POST(`${main}/stats/executions/daily`, { params: { query } }))) as DailyStatistics[],
  dailyByFlow: async (query: { namespace?: string; startDate: string; endDate: string }): Promise<Record<string, Record<string, DailyStatistics[]>>> =>
    (await unwrap(client.POST(`${main}/stats/executions/daily/group-by-flow`, { params: { query } }))) as Record<string, Record<string, DailyStatistics[]>>,
  /** The dashboard's figures for a range: days by state, failing flows, counts, durations. */
  dashboard: async (query: { namespace?: string; startDate: string; endDate: string; failing?: number }): Promise<DashboardFigures> =>
    (await unwrap(client.GET(`${main}/stats/dashboard`, { params: { query } }))) as DashboardFigures,
  /** The flows with the most FAILED executions in the range (two flat aggregations). */
  failingFlows: async (query: { namespace?: string; startDate: string; endDate: string; size?: number }): Promise<FailingFlow[]> =>
    (await unwrap(client.GET(`${main}/stats/executions/failing-flows`, { params: { query } }))) as FailingFlow[],
  summary: async () => await unwrap(client.GET(`${main}/stats/summary`)),
}
