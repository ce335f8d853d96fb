/**
 * Follows an SSE stream of the API (execution or log `follow` endpoints). Uses
 * fetch-event-source rather than EventSource because EventSource cannot send the
 * Authorization header. Reconnects with back-off on network errors and on a server
 * that closes early; stops for good when `isEnd` says the followed thing has ended,
 * on a 4xx answer, or on `close()`.
 */
import { EventStreamContentType, fetchEventSource } from '@microsoft/fetch-event-source'
import { apiUrl, authedFetch, errorFromResponse, type ApiError, type Query } from './http'

export interface FollowOptions<T> {
  query?: Query
  /** Called with each event's parsed JSON data (non-JSON data is ignored). */
  onEvent: (data: T, event: string) => void
  /** True when this event ends the stream (an execution reached a terminal state). */
  isEnd?: (data: T, event: string) => boolean
  /** A fatal error (4xx): the stream is not retried. */
  onFatal?: (error: ApiError) => void
  /** Told each time the stream (re)connects or drops, for a "live" indicator. */
  onStatus?: (status: 'open' | 'retrying' | 'closed') => void
  /**
   * Whether to reconnect when the server closes the stream (default: yes). A log stream
   * of an ended execution closes for good once its last lines are sent.
   */
  reconnect?: () => boolean
  /** First reconnect delay in ms, doubled up to maxRetryMs. */
  retryMs?: number
  maxRetryMs?: number
}

export interface Subscription {
  close: () => void
  readonly closed: Promise<void>
}

class FatalStreamError extends Error {}
class RetryStream extends Error {}

export function follow<T>(path: string, options: FollowOptions<T>): Subscription {
  const controller = new AbortController()
  let ended = false
  let delay = options.retryMs ?? 1000
  const maxDelay = options.maxRetryMs ?? 15000
  const stop = (): void => {
    if (ended) return
    ended = true
    controller.abort()
    options.onStatus?.('closed')
  }
  const closed = fetchEventSource(apiUrl(path, options.query), {
    signal: controller.signal,
    fetch: authedFetch,
    openWhenHidden: true,
    headers: { Accept: EventStreamContentType },
    async onopen(response) {
      const type = response.headers.get('Content-Type') ?? ''
      if (response.ok && type.startsWith(EventStreamContentType)) {
        delay = options.retryMs ?? 1000
        options.onStatus?.('open')
        return
      }
      if (response.status >= 400 && response.status < 500) {
        const error = await errorFromResponse(response, `GET ${path}`)
        options.onFatal?.(error)
        throw new FatalStreamError(error.message)
      }
      throw new RetryStream(`stream answered ${response.status}`)
    },
    onmessage(message) {
      if (ended || !message.data) return
      let data: T
      try {
        data = JSON.parse(message.data) as T
      } catch {
        return
      }
      options.onEvent(data, message.event || 'message')
      if (options.isEnd?.(data, message.event || 'message')) stop()
    },
    onclose() {
      if (ended) return
      if (options.reconnect && !options.reconnect()) {
        stop()
        return
      }
      throw new RetryStream('stream closed by the server')
    },
    onerror(error: unknown) {
      if (error instanceof FatalStreamError || ended) throw error
      options.onStatus?.('retrying')
      const wait = delay
      delay = Math.min(delay * 2, maxDelay)
      return wait
    },
  })
    .catch(() => undefined)
    .finally(stop)
  return { close: stop, closed }
}
