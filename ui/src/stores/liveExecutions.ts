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

  /** Watches an execution until `unwatch`; returns the unwatch function. */
  function watch(execution: Execution | string): () => void {
    const id = typeof execution === 'string' ? execution : execution.id
    if (typeof execution !== 'string') put(execution)
    const held = byId.value.get(id)
    const existing = streams.get(id)
    if (existing) existing.watchers += 1
    else if (!held || !isTerminal(held.state.current)) {
      const subscription = api.follow(id, {
        onEvent: put,
        isEnd: (e) => isTerminal(e.state.current),
      })
      streams.set(id, { subscription, watchers: 1 })
      void subscription.closed.then(() => streams.delete(id))
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
