import { describe, expect, it } from 'vitest'
import type { FlowGraph } from '@/api/models'
import { layoutGraph } from '@/lib/graph'

const task = (uid: string, id: string, type = 'io.kestra.plugin.core.log.Log') => ({
  uid, type: 'io.kestra.core.models.hierarchies.GraphTask', task: { id, type },
})

// root -> parallel cluster (a, b) -> after; errors branch: onError
const graph: FlowGraph = {
  nodes: [
    { uid: 'root.start', type: 'io.kestra.core.models.hierarchies.GraphClusterRoot' },
    { uid: 'root.end', type: 'io.kestra.core.models.hierarchies.GraphClusterEnd' },
    task('par', 'par', 'io.kestra.plugin.core.flow.Parallel'),
    { uid: 'par.start', type: 'io.kestra.core.models.hierarchies.GraphClusterRoot' },
    { uid: 'par.end', type: 'io.kestra.core.models.hierarchies.GraphClusterEnd' },
    task('par.a', 'a'),
    task('par.b', 'b'),
    task('after', 'after'),
    task('onError', 'onError'),
  ],
  edges: [
    { source: 'root.start', target: 'par.start' },
    { source: 'par.start', target: 'par.a', relation: { relationType: 'PARALLEL' } },
    { source: 'par.start', target: 'par.b', relation: { relationType: 'PARALLEL' } },
    { source: 'par.a', target: 'par.end' },
    { source: 'par.b', target: 'par.end' },
    { source: 'par.end', target: 'after', relation: { relationType: 'SEQUENTIAL' } },
    { source: 'after', target: 'root.end' },
    { source: 'root.start', target: 'onError', relation: { relationType: 'ERROR' } },
    { source: 'onError', target: 'ghost' },
  ],
  clusters: [
    { cluster: { uid: 'par', type: 'io.kestra.core.models.hierarchies.SubflowGraphCluster', task: { id: 'par', type: 'io.kestra.plugin.core.flow.Parallel' } }, nodes: ['par.start', 'par.a', 'par.b', 'par.end'], parents: [] },
  ],
}

describe('layoutGraph', () => {
  const laid = layoutGraph(graph, new Map([['a', 'FAILED'], ['par', 'RUNNING']]))
  const byId = new Map(laid.nodes.map((n) => [n.id, n]))

  it('makes the flowable a group around its children', () => {
    const cluster = byId.get('par')!
    expect(cluster.kind).toBe('cluster')
    for (const child of ['par.a', 'par.b', 'par.start', 'par.end']) {
      const n = byId.get(child)!
      expect(n.parent).toBe('par')
      expect(n.x).toBeGreaterThanOrEqual(cluster.x)
      expect(n.y).toBeGreaterThanOrEqual(cluster.y)
      expect(n.x + n.width).toBeLessThanOrEqual(cluster.x + cluster.width + 0.001)
    }
    expect(byId.get('after')!.parent).toBeNull()
    // Groups come before their children, as @vue-flow needs.
    expect(laid.nodes.findIndex((n) => n.id === 'par')).toBeLessThan(laid.nodes.findIndex((n) => n.id === 'par.a'))
  })

  it('orders left to right along the edges', () => {
    expect(byId.get('par.a')!.x).toBeLessThan(byId.get('after')!.x)
    expect(byId.get('root.start')!.x).toBeLessThan(byId.get('par.a')!.x)
  })

  it('keeps relations and drops edges to unknown nodes', () => {
    expect(laid.edges.find((e) => e.target === 'onError')!.relation).toBe('ERROR')
    expect(laid.edges.find((e) => e.target === 'after')!.relation).toBe('SEQUENTIAL')
    expect(laid.edges.some((e) => e.target === 'ghost')).toBe(false)
  })

  it('colours tasks by their state, and markers are dots', () => {
    expect(byId.get('par.a')!.state).toBe('FAILED')
    expect(byId.get('par.b')!.state).toBeNull()
    expect(byId.get('par')!.state).toBe('RUNNING')
    expect(byId.get('root.start')!.kind).toBe('dot')
    expect(byId.get('par.a')!.taskType).toBe('Log')
  })
})
