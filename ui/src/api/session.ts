/** Credentials for the API, kept in session storage so a closed tab forgets them. */

const KEY = 'kestrel.auth'

export type Credentials =
  | { kind: 'basic'; username: string; password: string }
  | { kind: 'bearer'; token: string }

export function saveCredentials(credentials: Credentials | null): void {
  if (credentials === null) sessionStorage.removeItem(KEY)
  else sessionStorage.setItem(KEY, JSON.stringify(credentials))
}

export function loadCredentials(): Credentials | null {
  const raw = sessionStorage.getItem(KEY)
  if (raw === null) return null
  try {
    const parsed = JSON.parse(raw) as Credentials
    return parsed.kind === 'basic' || parsed.kind === 'bearer' ? parsed : null
  } catch {
    return null
  }
}

/** The `Authorization` header value for the stored credentials, if any. */
export function authorizationHeader(credentials = loadCredentials()): string | null {
  if (credentials === null) return null
  if (credentials.kind === 'bearer') return `Bearer ${credentials.token}`
  const bytes = new TextEncoder().encode(`${credentials.username}:${credentials.password}`)
  return `Basic ${btoa(String.fromCharCode(...bytes))}`
}
