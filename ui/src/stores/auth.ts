import { defineStore } from 'pinia'
import { ref } from 'vue'
import { request } from '@/api/http'
import { loadCredentials, saveCredentials, type Credentials } from '@/api/session'

/** Who is logged in; credentials stay in session storage (a closed tab forgets them). */
export const useAuth = defineStore('auth', () => {
  const credentials = ref<Credentials | null>(loadCredentials())
  const username = ref<string | null>(
    credentials.value?.kind === 'basic' ? credentials.value.username : credentials.value ? 'token' : null,
  )

  /** Checks the credentials against the API before keeping them. */
  async function login(next: Credentials): Promise<void> {
    const previous = loadCredentials()
    saveCredentials(next)
    try {
      await request('GET', '/flows/search', { query: { size: 1 } })
    } catch (error) {
      saveCredentials(previous)
      throw error
    }
    credentials.value = next
    username.value = next.kind === 'basic' ? next.username : 'token'
  }

  function logout(): void {
    saveCredentials(null)
    credentials.value = null
    username.value = null
  }

  return { credentials, username, login, logout }
})
