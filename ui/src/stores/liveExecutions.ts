import { defineStore } from 'pinia'
import { shallowRef } from 'vue'
import { executions as api } from '@/api/endpoints'
import type { Execution } from '@/api/models'
import type { Subscription } from '@/api/sse'
import { applySnapshot, type ExecutionMap } from '@/lib/liveExecutions'
import { isTerminal } from '@/lib/states'

/**
 * Executions the open pages watch, kept current over the API's follow streams: one stream
 * per execution that has not ended, closed when it ends or when no page watches it.
 */
export const useLiveExecutions = defineStore('liveExecutions', () => {
  const byId = shallowRef<ExecutionMap>(new Map())
  const streams = new Map<string, { subscription: Subscription; watchers: number }>()

  function put(execution: Execution): void {
    byId.value = applySnapshot(byId.value, execution)
  }

  /**
   * Watches an execution until `unwatch`; returns the unwatch function. `ended` says when
   * the stream may stop (by default: a terminal state). After a restart, pass one that
   * waits for a later snapshot: the server first answers with the last, ended one, so the
   * stream reconnects until the restarted run shows up.
   */
  function watch(execution: Execution | string, ended?: (e: Execution) => boolean): () => void {
    const id = typeof execution === 'string' ? execution : execution.id
    if (typeof execution !== 'string') put(execution)
    const held = byId.value.get(id)
    const isEnd = ended ?? ((e: Execution) => isTerminal(e.state.current))
    const existing = streams.get(id)
    if (existing && !ended) existing.watchers += 1
    else if (ended || !held || !isEnd(held)) {
      existing?.subscription.close()
      const subscription = api.follow(id, {
        onEvent: put,
        isEnd: (e) => isEnd(e),
      })
      const entry = { subscription, watchers: (existing?.watchers ?? 0) + 1 }
      streams.set(id, entry)
      void subscription.closed.then(() => {
        if (streams.get(id) === entry) streams.delete(id)
      })
    }
    let done = false
    return () => {
      if (done) return
      done = true
      const stream = streams.get(id)
      if (stream && --stream.watchers <= 0) {
        stream.subscription.close()
        streams.delete(id)
      }
    }
  }

  return { byId, put, watch }
})
