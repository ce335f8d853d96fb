/**
 * Lays out the API's flow graph (Kestra's nodes / edges / clusters) with dagre: flowable
 * tasks become groups around their children, errors and finally edges keep their relation
 * so they can be drawn apart. The result is plain positioned boxes; the component turns
 * them into @vue-flow nodes.
 */
import { Graph, layout } from '@dagrejs/dagre'
import type { FlowGraph, GraphNode, StateType } from '@/api/models'

export type NodeKind = 'task' | 'trigger' | 'dot' | 'cluster'

export interface LaidNode {
  id: string
  kind: NodeKind
  label: string
  taskType: string | null
  taskId: string | null
  state: StateType | null
  /** Absolute top-left position and size. */
  x: number
  y: number
  width: number
  height: number
  /** Enclosing cluster's id; positions relative to it are `x - parent.x`. */
  parent: string | null
}

export interface LaidEdge {
  id: string
  source: string
  target: string
  relation: string
}

export interface LaidGraph {
  nodes: LaidNode[]
  edges: LaidEdge[]
  width: number
  height: number
}

const TASK = { width: 190, height: 56 }
const DOT = { width: 14, height: 14 }

function kindOf(node: GraphNode): NodeKind {
  if (/ClusterRoot|ClusterEnd|GraphClusterFinally|GraphClusterAfterExecution/.test(node.type)) return 'dot'
  if (node.trigger || /Trigger/.test(node.type)) return 'trigger'
  return 'task'
}

function shortType(type: string | undefined): string | null {
  return type ? (type.split('.').pop() ?? type) : null
}

/** Deepest cluster containing each node (a cluster's `parents` lists its ancestors). */
function owningCluster(graph: FlowGraph): Map<string, string> {
  const owner = new Map<string, { id: string; depth: number }>()
  for (const c of graph.clusters ?? []) {
    const depth = c.parents?.length ?? 0
    for (const uid of c.nodes) {
      const current = owner.get(uid)
      if (!current || current.depth < depth) owner.set(uid, { id: c.cluster.uid, depth })
    }
  }
  return new Map([...owner].map(([uid, o]) => [uid, o.id]))
}

export function layoutGraph(
  graph: FlowGraph,
  stateByTask: ReadonlyMap<string, StateType> = new Map(),
  direction: 'LR' | 'TB' = 'LR',
): LaidGraph {
  const g = new Graph({ compound: true, multigraph: true })
  g.setGraph({ rankdir: direction, nodesep: 24, ranksep: 48, marginx: 16, marginy: 16 })
  g.setDefaultEdgeLabel(() => ({}))

  const owner = owningCluster(graph)
  const clusterIds = new Set((graph.clusters ?? []).map((c) => c.cluster.uid))
  const clusterNode = new Map((graph.clusters ?? []).map((c) => [c.cluster.uid, c.cluster]))

  for (const c of graph.clusters ?? []) {
    g.setNode(c.cluster.uid, { label: c.cluster.task?.id ?? c.cluster.uid, paddingTop: 28 })
  }
  for (const c of graph.clusters ?? []) {
    const parent = c.parents?.[c.parents.length - 1]
    if (parent && clusterIds.has(parent) && parent !== c.cluster.uid) g.setParent(c.cluster.uid, parent)
  }
  const nodes = graph.nodes.filter((n) => !clusterIds.has(n.uid))
  for (const node of nodes) {
    const size = kindOf(node) === 'dot' ? DOT : TASK
    g.setNode(node.uid, { ...size })
    const parent = owner.get(node.uid)
    if (parent && parent !== node.uid) g.setParent(node.uid, parent)
  }
  const known = new Set([...nodes.map((n) => n.uid)])
  const edges = graph.edges.filter((e) => known.has(e.source) && known.has(e.target))
  edges.forEach((e, i) => g.setEdge(e.source, e.target, {}, `e${i}`))

  layout(g)

  const laid: LaidNode[] = []
  const box = (id: string): { x: number; y: number; width: number; height: number } => {
    const n = g.node(id) as { x: number; y: number; width: number; height: number }
    return { x: n.x - n.width / 2, y: n.y - n.height / 2, width: n.width, height: n.height }
  }
  const parentOf = (id: string): string | null => {
    const p = g.parent(id)
    return typeof p === 'string' ? p : null
  }
  // Parents before children: @vue-flow needs a group to exist before the nodes inside it.
  const clusterOrder = [...clusterIds].sort(
    (a, b) => depthOf(a, parentOf) - depthOf(b, parentOf),
  )
  for (const id of clusterOrder) {
    const node = clusterNode.get(id)
    laid.push({
      id,
      kind: 'cluster',
      label: node?.task?.id ?? id,
      taskType: shortType(node?.task?.type),
      taskId: node?.task?.id ?? null,
      state: node?.task ? (stateByTask.get(node.task.id) ?? null) : null,
      ...box(id),
      parent: parentOf(id),
    })
  }
  for (const node of nodes) {
    const kind = kindOf(node)
    const taskId = node.task?.id ?? node.trigger?.id ?? null
    laid.push({
      id: node.uid,
      kind,
      label: taskId ?? '',
      taskType: shortType(node.task?.type ?? node.trigger?.type),
      taskId,
      state: taskId && kind === 'task' ? (stateByTask.get(taskId) ?? null) : null,
      ...box(node.uid),
      parent: parentOf(node.uid),
    })
  }
  const graphLabel = g.graph() as { width?: number; height?: number }
  return {
    nodes: laid,
    edges: edges.map((e, i) => ({
      id: `e${i}`,
      source: e.source,
      target: e.target,
      relation: e.relation?.relationType ?? 'SEQUENTIAL',
    })),
    width: graphLabel.width ?? 0,
    height: graphLabel.height ?? 0,
  }
}

function depthOf(id: string, parentOf: (id: string) => string | null): number {
  let depth = 0
  for (let p = parentOf(id); p !== null; p = parentOf(p)) depth += 1
  return depth
}
