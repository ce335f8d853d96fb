import { createPinia } from 'pinia'
import { createApp } from 'vue'
import App from './App.vue'
import { onUnauthorized } from './api/http'
import { makeRouter } from './router'
import './styles.css'

const app = createApp(App)
const router = makeRouter()
app.use(createPinia())
app.use(router)

// Any 401 sends the user to the login page, back to where they were afterwards.
onUnauthorized(() => {
  const current = router.currentRoute.value
  if (current.name !== 'login') void router.push({ name: 'login', query: { redirect: current.fullPath } })
})

app.mount('#app')
