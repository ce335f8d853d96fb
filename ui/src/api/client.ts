/**
 * The typed client generated from Kestrel's OpenAPI document (`schema.d.ts`, regenerate with
 * `npm run api:generate`): paths, parameters and bodies are checked against the server's
 * declared routes at compile time. Requests go through `authedFetch` (credentials, 401).
 */
import createClient from 'openapi-fetch'
import { ApiError, authedFetch } from './http'
import type { paths } from './schema'

export const client = createClient<paths>({
  baseUrl: '',
  fetch: (request: Request) => authedFetch(request),
})

/** The body of the YAML routes, sent as is. */
export const yamlBody = {
  bodySerializer: (body: unknown) => body as string,
  headers: { 'Content-Type': 'application/x-yaml' },
}

/** The body of routes taking inputs as multipart form data (files included). */
export const formBody = {
  bodySerializer: (body: unknown) => body as FormData,
}

interface Answer<D> {
  data?: D
  error?: unknown
  response: Response
}

/** The answer's data, or an ApiError carrying the server's `{message, details}`. */
export async function unwrap<D>(pending: Promise<Answer<D>>): Promise<D> {
  const { data, error, response } = await pending
  if (!response.ok) {
    const body = (error ?? {}) as { message?: unknown; details?: unknown }
    const message = typeof body.message === 'string' ? body.message : typeof error === 'string' && error ? error : `${response.status} ${response.statusText}`
    throw new ApiError(response.status, message, body.details ?? null, `${response.url ? new URL(response.url, location.href).pathname : ''}`)
  }
  return data as D
}
