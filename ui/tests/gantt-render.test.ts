import { mount } from '@vue/test-utils'
import { describe, expect, it, vi } from 'vitest'
import { nextTick } from 'vue'
import GanttChart from '@/components/GanttChart.vue'
import { execution, run } from './fixtures'

const T0 = Date.parse('2026-01-01T00:00:00.000Z')
const at = (s: number): string => new Date(T0 + s * 1000).toISOString()

describe('GanttChart', () => {
  it('keeps only the visible rows of 2,000 task runs in the DOM', async () => {
    // happy-dom lays nothing out: give every box a screenful of size, as a browser would.
    vi.spyOn(HTMLElement.prototype, 'clientHeight', 'get').mockReturnValue(600)
    vi.spyOn(HTMLElement.prototype, 'clientWidth', 'get').mockReturnValue(1000)
    const runs = Array.from({ length: 2000 }, (_, i) => run(`r${i}`, `task-${i}`, [[at(i), at(i + 1), 'SUCCESS']]))
    const started = performance.now()
    const wrapper = mount(GanttChart, { props: { execution: execution('big', 'SUCCESS', at(0), at(2001), runs) } })
    await nextTick()
    const elapsed = performance.now() - started
    expect(wrapper.text()).toContain('2000 task run(s)')
    const rendered = wrapper.findAll('.gantt-row').length
    expect(rendered).toBeGreaterThan(0)
    expect(rendered).toBeLessThan(100)
    console.log(`GanttChart mount with 2000 task runs: ${elapsed.toFixed(0)} ms, ${rendered} rows in the DOM`)
    wrapper.unmount()
    vi.restoreAllMocks()
  })
})
