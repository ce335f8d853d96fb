/**
 * Monaco, loaded only by the pages that edit (its own chunk), with YAML and monaco-yaml:
 * completion and hovers from the API's flow JSON Schema (task types and their properties).
 */
import 'monaco-editor/esm/vs/basic-languages/yaml/yaml.contribution'
import * as monaco from 'monaco-editor/esm/vs/editor/editor.api'
import EditorWorker from 'monaco-editor/esm/vs/editor/editor.worker?worker'
import { configureMonacoYaml, type MonacoYaml } from 'monaco-yaml'
import YamlWorker from 'monaco-yaml/yaml.worker?worker'

declare global {
  interface Window {
    MonacoEnvironment?: { getWorker: (id: string, label: string) => Worker }
  }
}

window.MonacoEnvironment = {
  getWorker: (_id, label) => (label === 'yaml' ? new YamlWorker() : new EditorWorker()),
}

let yaml: MonacoYaml | null = null

export const FLOW_MODEL_GLOB = '**/*.flow.yaml'

/** Feeds the flow schema to monaco-yaml (once configured, later calls update it). */
export function useFlowSchema(schema: Record<string, unknown> | null): void {
  const options = {
    enableSchemaRequest: false,
    // Kestrel's own validation (`/flows/validate`) owns the error markers; the schema
    // drives completion and hovers, and schema errors would duplicate or contradict.
    validate: false,
    completion: true,
    hover: true,
    schemas: schema
      ? [{ uri: 'kestrel://schemas/flow.json', fileMatch: [FLOW_MODEL_GLOB], schema: schema as never }]
      : [],
  }
  if (yaml) yaml.update(options)
  else yaml = configureMonacoYaml(monaco, options)
}

export { monaco }
