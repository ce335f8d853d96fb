import { reactive, watch } from 'vue'
import { useRoute, useRouter } from 'vue-router'
import { fromQuery, toQuery, type Filters } from '@/lib/urlState'

/**
 * Filters kept in the URL's query: read from it on load and on back/forward, written to it
 * (replace, not push) when they change, so a copied link reproduces the view.
 */
export function useUrlFilters<F extends Filters>(defaults: F): F {
  const route = useRoute()
  const router = useRouter()
  const filters = reactive({ ...fromQuery(route.query, defaults) }) as F
  watch(
    () => route.query,
    (query) => {
      const next = fromQuery(query, defaults)
      for (const key of Object.keys(defaults)) {
        if (JSON.stringify(next[key]) !== JSON.stringify(filters[key])) (filters as Filters)[key] = next[key] as F[string]
      }
    },
  )
  watch(
    () => ({ ...filters }),
    (value) => {
      const query = toQuery(value as F, defaults)
      if (JSON.stringify(query) !== JSON.stringify(toQuery(fromQuery(route.query, defaults), defaults))) {
        void router.replace({ query })
      }
    },
    { deep: true },
  )
  return filters
}
