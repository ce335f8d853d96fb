import { mount } from '@vue/test-utils'
import { describe, expect, it } from 'vitest'
import { nextTick, ref } from 'vue'
import { ApiError } from '@/api/http'
import ErrorBanner from '@/components/ErrorBanner.vue'
import InputsForm from '@/components/InputsForm.vue'
import StateBadge from '@/components/StateBadge.vue'
import { inputFields, type FieldValue } from '@/lib/inputs'

describe('components', () => {
  it('ErrorBanner shows the message and details, and says when a feature is not there yet', () => {
    const w = mount(ErrorBanner, { props: { error: new ApiError(400, 'bad filter', ['state: unknown BOGUS'], 'GET /x') } })
    expect(w.text()).toContain('bad filter')
    expect(w.findAll('li').map((li) => li.text())).toEqual(['state: unknown BOGUS'])
    const missing = mount(ErrorBanner, { props: { error: new ApiError(501, 'scheduler API', null, 'GET /triggers') } })
    expect(missing.text()).toContain('Not available on this server yet')
    expect(mount(ErrorBanner, { props: { error: null } }).find('[role=alert]').exists()).toBe(false)
  })

  it('StateBadge colours by state', () => {
    const w = mount(StateBadge, { props: { state: 'FAILED' } })
    expect(w.attributes('data-state')).toBe('FAILED')
    expect(w.attributes('style')).toContain('background')
  })

  it('InputsForm renders a widget per input and writes values back', async () => {
    const fields = inputFields([
      { id: 'user', type: 'STRING', defaults: 'Ada' },
      { id: 'env', type: 'SELECT', values: ['dev', 'prod'], defaults: 'dev' },
      { id: 'dry', type: 'BOOLEAN', defaults: false },
    ])
    const values = ref<Record<string, FieldValue>>(Object.fromEntries(fields.map((f) => [f.id, f.initial])))
    const w = mount(InputsForm, {
      props: {
        fields,
        problems: { user: 'required' },
        modelValue: values.value,
        'onUpdate:modelValue': async (v: Record<string, FieldValue>) => {
          values.value = v
          await w.setProps({ modelValue: v })
        },
      },
    })
    expect((w.find('input[name=user]').element as HTMLInputElement).value).toBe('Ada')
    expect(w.findAll('select[name=env] option').map((o) => o.text())).toContain('prod')
    expect(w.find('.problem').text()).toBe('required')
    await w.find('input[name=user]').setValue('Grace')
    await w.find('select[name=env]').setValue('prod')
    await w.find('input[name=dry]').setValue(true)
    await nextTick()
    expect(values.value).toMatchObject({ user: 'Grace', env: 'prod', dry: true })
  })
})
