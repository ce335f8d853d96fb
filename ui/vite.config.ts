/// <reference types="vitest/config" />
import { fileURLToPath, URL } from 'node:url'
import vue from '@vitejs/plugin-vue'
import { defineConfig } from 'vite'

// The build lands inside the Python package so a wheel carries the UI and needs no Node.
const outDir = fileURLToPath(new URL('../orchestrator/webserver/static/ui', import.meta.url))

export default defineConfig({
  base: '/ui/',
  plugins: [vue()],
  resolve: {
    alias: { '@': fileURLToPath(new URL('./src', import.meta.url)) },
  },
  build: {
    outDir,
    emptyOutDir: true,
    chunkSizeWarningLimit: 6000,
    sourcemap: false,
  },
  server: {
    // `npm run dev` against a local `kestrel server`: the API stays same-origin for the app.
    proxy: { '/api': process.env.KESTREL_API ?? 'http://127.0.0.1:8080' },
  },
  test: {
    environment: 'happy-dom',
    include: ['tests/**/*.test.ts'],
  },
})
