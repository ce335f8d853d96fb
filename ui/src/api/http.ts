/**
 * The one place that talks HTTP to Kestrel's API: base path, auth header, JSON errors.
 * Generated client code (openapi-fetch) plugs in through `authedFetch`.
 */
import { authorizationHeader } from './session'

export const API_BASE = '/api/v1'
export const TENANT = 'main'

/** An API error as the server reports it (`{message, details}`), with the HTTP status. */
export class ApiError extends Error {
  readonly status: number
  readonly details: unknown
  readonly endpoint: string

  constructor(status: number, message: string, details: unknown, endpoint: string) {
    super(message)
    this.name = 'ApiError'
    this.status = status
    this.details = details
    this.endpoint = endpoint
  }

  /** Details as lines a person can read (a list of problems, or an object's fields). */
  detailLines(): string[] {
    const d = this.details
    if (d === null || d === undefined) return []
    if (typeof d === 'string') return [d]
    if (Array.isArray(d)) return d.map((item) => (typeof item === 'string' ? item : JSON.stringify(item)))
    if (typeof d === 'object') {
      return Object.entries(d as Record<string, unknown>).map(
        ([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`,
      )
    }
    return [String(d)]
  }
}

/** Listeners told when the server answers 401, so the app can show the login page. */
const unauthorizedListeners = new Set<() => void>()
export function onUnauthorized(listener: () => void): () => void {
  unauthorizedListeners.add(listener)
  return () => unauthorizedListeners.delete(listener)
}

/** Turns a non-2xx response into an ApiError, reading `{message, details}` when JSON. */
export async function errorFromResponse(response: Response, endpoint: string): Promise<ApiError> {
  let message = `${response.status} ${response.statusText}`.trim()
  let details: unknown = null
  const text = await response.text().catch(() => '')
  if (text) {
    try {
      const body = JSON.parse(text) as { message?: unknown; details?: unknown }
      if (typeof body.message === 'string') message = body.message
      details = body.details ?? null
    } catch {
      message = text.slice(0, 500)
    }
  }
  return new ApiError(response.status, message, details, endpoint)
}

/** fetch with the stored credentials added; a 401 notifies the login listeners. */
export async function authedFetch(input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers ?? (input instanceof Request ? input.headers : undefined))
  const auth = authorizationHeader()
  if (auth !== null && !headers.has('Authorization')) headers.set('Authorization', auth)
  // Tells the server not to answer 401 with a Basic challenge, which would make the
  // browser show its own login dialog over the app's login page.
  headers.set('X-Requested-With', 'XMLHttpRequest')
  const response = await fetch(input, { ...init, headers })
  if (response.status === 401) unauthorizedListeners.forEach((listener) => listener())
  return response
}

export type Query = Record<string, string | number | boolean | string[] | null | undefined>

/** `/api/v1/main/...` with the query string (arrays repeat their key, empties are left out). */
export function apiUrl(path: string, query: Query = {}, tenant = true): string {
  const params = new URLSearchParams()
  for (const [key, value] of Object.entries(query)) {
    if (value === null || value === undefined || value === '') continue
    if (Array.isArray(value)) value.forEach((v) => params.append(key, v))
    else params.append(key, String(value))
  }
  const qs = params.toString()
  const prefix = tenant ? `${API_BASE}/${TENANT}` : API_BASE
  return `${prefix}${path}${qs ? `?${qs}` : ''}`
}

export interface RequestOptions {
  query?: Query
  json?: unknown
  body?: BodyInit
  contentType?: string
  tenant?: boolean
}

/** One API call; JSON answers are parsed, errors thrown as ApiError. */
export async function request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
  const url = apiUrl(path, options.query, options.tenant ?? true)
  const headers = new Headers({ Accept: 'application/json' })
  let body: BodyInit | undefined = options.body
  if (options.json !== undefined) {
    body = JSON.stringify(options.json)
    headers.set('Content-Type', 'application/json')
  } else if (options.contentType) {
    headers.set('Content-Type', options.contentType)
  }
  const response = await authedFetch(url, { method, headers, body })
  if (!response.ok) throw await errorFromResponse(response, `${method} ${url}`)
  if (response.status === 204) return undefined as T
  const type = response.headers.get('Content-Type') ?? ''
  return (type.includes('json') ? await response.json() : await response.text()) as T
}
