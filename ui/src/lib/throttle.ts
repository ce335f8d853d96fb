/**
 * A refresh driven by events: `poke()` on each event; `run` is called at most once every
 * `everyMs`, and never sooner than `settleMs` after the latest poke (the figures it reads
 * lag the events: the indexer writes them a second or two later). Under a steady stream of
 * events it runs every `everyMs`; after the last event it runs once more.
 */
export interface Throttle {
  poke: () => void
  cancel: () => void
}

export function throttled(run: () => void, everyMs: number, settleMs: number): Throttle {
  let timer: ReturnType<typeof setTimeout> | undefined
  let lastRun = Number.NEGATIVE_INFINITY
  let lastPoke = Number.NEGATIVE_INFINITY

  function schedule(): void {
    const at = Math.max(lastPoke + settleMs, lastRun + everyMs)
    timer = setTimeout(fire, Math.max(0, at - Date.now()))
  }

  function fire(): void {
    timer = undefined
    lastRun = Date.now()
    run()
    if (lastPoke + settleMs > lastRun) schedule() // poked while waiting: once more, later
  }

  return {
    poke(): void {
      lastPoke = Date.now()
      if (timer === undefined) schedule()
    },
    cancel(): void {
      if (timer !== undefined) clearTimeout(timer)
      timer = undefined
    },
  }
}
