import { afterEach, describe, expect, it, vi } from 'vitest'
import { ApiError, authedFetch, errorFromResponse, onUnauthorized, request } from '@/api/http'
import { authorizationHeader, loadCredentials, saveCredentials } from '@/api/session'
import { follow } from '@/api/sse'

afterEach(() => {
  vi.unstubAllGlobals()
  sessionStorage.clear()
})

describe('credentials', () => {
  it('builds basic and bearer headers from session storage, UTF-8 safe', () => {
    expect(authorizationHeader()).toBeNull()
    saveCredentials({ kind: 'basic', username: 'admin', password: 'pässword' })
    expect(loadCredentials()).toEqual({ kind: 'basic', username: 'admin', password: 'pässword' })
    const decoded = new TextDecoder().decode(Uint8Array.from(atob(authorizationHeader()!.slice(6)), (c) => c.charCodeAt(0)))
    expect(decoded).toBe('admin:pässword')
    saveCredentials({ kind: 'bearer', token: 'tok' })
    expect(authorizationHeader()).toBe('Bearer tok')
  })
})

describe('requests', () => {
  it('adds the Authorization header and tells listeners about a 401', async () => {
    saveCredentials({ kind: 'bearer', token: 'tok' })
    const seen: string[] = []
    vi.stubGlobal('fetch', vi.fn(async (_url: string, init: RequestInit) => {
      seen.push(new Headers(init.headers).get('Authorization') ?? '')
      return new Response('{}', { status: 401 })
    }))
    let told = 0
    const off = onUnauthorized(() => (told += 1))
    await authedFetch('/api/v1/main/flows/search')
    off()
    expect(seen).toEqual(['Bearer tok'])
    expect(told).toBe(1)
  })

  it('surfaces {message, details} as an ApiError naming the endpoint', async () => {
    vi.stubGlobal('fetch', vi.fn(async () =>
      new Response(JSON.stringify({ message: 'invalid flow', details: { 'tasks[0].type': 'unknown' } }), { status: 422, headers: { 'Content-Type': 'application/json' } }),
    ))
    const error = await request('POST', '/flows', { body: 'id: x' }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ApiError)
    expect((error as ApiError).status).toBe(422)
    expect((error as ApiError).message).toBe('invalid flow')
    expect((error as ApiError).endpoint).toBe('POST /api/v1/main/flows')
    expect((error as ApiError).detailLines()).toEqual(['tasks[0].type: unknown'])
  })

  it('a non-JSON error keeps its text', async () => {
    const error = await errorFromResponse(new Response('proxy down', { status: 502, statusText: 'Bad Gateway' }), 'GET /x')
    expect(error.message).toBe('proxy down')
    expect(error.details).toBeNull()
  })
})

function sse(events: string[], status = 200): Response {
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const e of events) controller.enqueue(new TextEncoder().encode(`data: ${e}\n\n`))
      controller.close()
    },
  })
  return new Response(body, { status, headers: { 'Content-Type': 'text/event-stream' } })
}

describe('follow', () => {
  it('reconnects when the server closes early and stops at the end event', async () => {
    const answers = [
      sse([JSON.stringify({ n: 1, state: 'RUNNING' })]),
      sse([JSON.stringify({ n: 2, state: 'RUNNING' }), JSON.stringify({ n: 3, state: 'SUCCESS' }), JSON.stringify({ n: 4, state: 'SUCCESS' })]),
    ]
    const fetchMock = vi.fn(async () => answers.shift() ?? sse([]))
    vi.stubGlobal('fetch', fetchMock)
    const got: number[] = []
    const sub = follow<{ n: number; state: string }>('/executions/e1/follow', {
      onEvent: (d) => got.push(d.n),
      isEnd: (d) => d.state === 'SUCCESS',
      retryMs: 1,
    })
    await sub.closed
    expect(got).toEqual([1, 2, 3])
    expect(fetchMock).toHaveBeenCalledTimes(2)
  })

  it('does not reconnect a stream the caller says is over', async () => {
    const fetchMock = vi.fn(async () => sse([JSON.stringify({ n: 1 })]))
    vi.stubGlobal('fetch', fetchMock)
    const got: number[] = []
    const sub = follow<{ n: number }>('/logs/e1/follow', { onEvent: (d) => got.push(d.n), reconnect: () => false, retryMs: 1 })
    await sub.closed
    expect(got).toEqual([1])
    expect(fetchMock).toHaveBeenCalledTimes(1)
  })

  it('gives up on a 4xx and reports it', async () => {
    const fetchMock = vi.fn(async () => new Response(JSON.stringify({ message: 'no such execution' }), { status: 404 }))
    vi.stubGlobal('fetch', fetchMock)
    let fatal = ''
    const sub = follow('/executions/nope/follow', { onEvent: () => undefined, onFatal: (e) => (fatal = e.message), retryMs: 1 })
    await sub.closed
    expect(fatal).toBe('no such execution')
    expect(fetchMock).toHaveBeenCalledTimes(1)
  })
})
