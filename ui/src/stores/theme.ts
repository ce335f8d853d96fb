import { defineStore } from 'pinia'
import { ref, watchEffect } from 'vue'

const KEY = 'kestrel.theme'
export type Theme = 'light' | 'dark'

/** Light or dark, remembered in local storage, first taken from the system's preference. */
export const useTheme = defineStore('theme', () => {
  const stored = localStorage.getItem(KEY)
  const prefersDark = typeof matchMedia === 'function' && matchMedia('(prefers-color-scheme: dark)').matches
  const theme = ref<Theme>(stored === 'dark' || stored === 'light' ? stored : prefersDark ? 'dark' : 'light')
  watchEffect(() => {
    document.documentElement.dataset.theme = theme.value
    localStorage.setItem(KEY, theme.value)
  })
  const toggle = (): void => {
    theme.value = theme.value === 'dark' ? 'light' : 'dark'
  }
  return { theme, toggle }
})
