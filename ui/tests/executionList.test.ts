import { describe, expect, it } from 'vitest'
import type { Execution } from '@/api/models'
import { admit, matchesSearch, startedAt, type ListView } from '@/lib/executionList'
import { execution } from './fixtures'

const T = (s: number): string => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString()

describe('matchesSearch', () => {
  const e = execution('abc123', 'FAILED', T(10), T(20), [], {
    namespace: 'company.team',
    flowId: 'etl',
    labels: [{ key: 'env', value: 'prod' }, { key: 'url', value: 'http://x' }],
  })

  it('nests namespaces on dots, as the server does', () => {
    expect(matchesSearch(e, { namespace: 'company' })).toBe(true)
    expect(matchesSearch(e, { namespace: 'company.team' })).toBe(true)
    expect(matchesSearch(e, { namespace: 'comp' })).toBe(false)
    expect(matchesSearch(e, { namespace: 'company.team.sub' })).toBe(false)
  })

  it('checks flow, states, every label and the time range', () => {
    expect(matchesSearch(e, { flowId: 'etl', state: ['FAILED', 'KILLED'] })).toBe(true)
    expect(matchesSearch(e, { state: ['SUCCESS'] })).toBe(false)
    expect(matchesSearch(e, { labels: ['env:prod', 'url:http://x'] })).toBe(true)
    expect(matchesSearch(e, { labels: ['env:prod', 'team:data'] })).toBe(false)
    expect(matchesSearch(e, { startDate: T(10), endDate: T(11) })).toBe(true)
    expect(matchesSearch(e, { startDate: T(11) })).toBe(false)
    expect(matchesSearch(e, { endDate: T(10) })).toBe(false)
  })

  it('finds the text in the id (whole), namespace, flow or a label value, ignoring case', () => {
    expect(matchesSearch(e, { q: 'abc123' })).toBe(true)
    expect(matchesSearch(e, { q: 'abc' })).toBe(false)
    expect(matchesSearch(e, { q: 'TEAM' })).toBe(true)
    expect(matchesSearch(e, { q: 'Prod' })).toBe(true)
    expect(matchesSearch(e, { q: 'nothing' })).toBe(false)
  })
})

describe('admit', () => {
  const byId = new Map<string, Execution>()
  function run(id: string, at: number, state: Execution['state']['current'] = 'RUNNING'): Execution {
    const e = execution(id, state, T(at), null)
    byId.set(id, e)
    return e
  }
  const page = { number: 1, size: 3, sortedByStart: true, startOf: (id: string) => startedAt(byId.get(id)!) }
  const full: ListView = { ids: ['c', 'b', 'a'], total: 10 }
  run('c', 30)
  run('b', 20)
  run('a', 10)

  it('puts a new execution on top of the first page and drops the last row', () => {
    expect(admit(full, run('d', 40), {}, page)).toEqual({ ids: ['d', 'c', 'b'], total: 11 })
  })

  it('puts one from a little back (the stream catches up) at its place by start', () => {
    expect(admit(full, run('bb', 25), {}, page)).toEqual({ ids: ['c', 'bb', 'b'], total: 11 })
  })

  it('leaves the page alone for a change of an older execution (on a later page, counted)', () => {
    expect(admit(full, run('old', 5, 'SUCCESS'), {}, page)).toBe(full)
  })

  it('keeps rows in place when they change, even out of the state filter', () => {
    expect(admit(full, { ...byId.get('b')!, state: { ...byId.get('b')!.state, current: 'SUCCESS' } }, { state: ['RUNNING'] }, page)).toBe(full)
  })

  it('admits an execution that now matches the filter (RUNNING then FAILED)', () => {
    const shown: ListView = { ids: [], total: 0 }
    const search = { state: ['FAILED'] }
    const e = run('f', 50)
    expect(admit(shown, e, search, page)).toBe(shown)
    expect(admit(shown, { ...e, state: { ...e.state, current: 'FAILED' } }, search, page)).toEqual({ ids: ['f'], total: 1 })
  })

  it('ignores what the search does not find, and never moves later pages', () => {
    expect(admit(full, run('x', 60), { flowId: 'other' }, page)).toBe(full)
    expect(admit(full, run('y', 70), {}, { ...page, number: 2 })).toBe(full)
    expect(admit(full, run('z', 80), {}, { ...page, sortedByStart: false })).toBe(full)
  })
})
