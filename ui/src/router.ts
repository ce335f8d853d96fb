import { createRouter, createWebHistory, type RouteRecordRaw } from 'vue-router'

export const routes: RouteRecordRaw[] = [
  { path: '/', redirect: '/dashboard' },
  { path: '/login', name: 'login', component: () => import('./pages/LoginPage.vue'), meta: { bare: true } },
  { path: '/dashboard', name: 'dashboard', component: () => import('./pages/DashboardPage.vue') },
  { path: '/flows', name: 'flows', component: () => import('./pages/FlowsPage.vue') },
  { path: '/flows/new', name: 'flow-new', component: () => import('./pages/FlowNewPage.vue') },
  {
    path: '/flows/:namespace/:id/:tab?',
    name: 'flow',
    component: () => import('./pages/FlowPage.vue'),
    props: true,
  },
  { path: '/executions', name: 'executions', component: () => import('./pages/ExecutionsPage.vue') },
  {
    path: '/executions/:id/:tab?',
    name: 'execution',
    component: () => import('./pages/ExecutionPage.vue'),
    props: true,
  },
  { path: '/logs', name: 'logs', component: () => import('./pages/LogsPage.vue') },
  { path: '/namespaces', name: 'namespaces', component: () => import('./pages/NamespacesPage.vue') },
  { path: '/plugins/:cls?', name: 'plugins', component: () => import('./pages/PluginsPage.vue'), props: true },
  { path: '/:pathMatch(.*)*', name: 'not-found', component: () => import('./pages/NotFoundPage.vue') },
]

export function makeRouter() {
  return createRouter({ history: createWebHistory('/ui/'), routes })
}
