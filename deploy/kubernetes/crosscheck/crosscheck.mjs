// Cross-check the Strimzi and ECK resources of rendered manifests against the validators of
// @kubernetes-models, strictly.
//
//     cd deploy/kubernetes/crosscheck && npm ci && npm run crosscheck
//
// Why this exists: the large CRD schemas under ../schemas/ (Kafka, Elasticsearch, Kibana) were
// copied by hand from stored upstream files, as no package ships them as schemas. This is a
// second, independent check, against validators the npm packages below compiled with Ajv from
// the operators' own definitions (they ship no schema document):
//   - @kubernetes-models/strimzi-kafka-operator 1.0.1, generated from strimzi-crds-0.49.0.yaml
//     (and 1.0.0 for the v1 API) of the Strimzi releases;
//   - @kubernetes-models/elastic-cloud 2.0.0, generated from the Go API types of
//     github.com/elastic/cloud-on-k8s/v3 (ECK 3.x).
// Those validators ignore unknown fields, so each field path of a resource is also probed: a
// value of the wrong type put at that path must be reported at that path, which proves that the
// schema declares it. A path no error points at is an unknown field (an error here), except
// inside a declared free-form map (`config`: Kafka broker and topic configuration,
// elasticsearch.yml; `listenerConfig` of OAuth listeners).
// Metadata is checked by the packages' ObjectMeta validator and not probed.
//
// Known difference from the CRD: the Go-generated schema of ECK requires `apiVersion` and `kind`
// in each `volumeClaimTemplates` item (a whole PersistentVolumeClaim); the CRD accepts them and
// does not require them. The manifests set them, so no exception is needed here.

import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";

const MODULES = {
  "kafka.strimzi.io": (version, kind) =>
    `@kubernetes-models/strimzi-kafka-operator/_schemas/KafkaStrimziIo${version}${kind}.js`,
  "elasticsearch.k8s.elastic.co": (version, kind) =>
    `@kubernetes-models/elastic-cloud/_schemas/ComGithubElasticCloudOnK8sV3PkgApisElasticsearch${version}${kind}.js`,
  "kibana.k8s.elastic.co": (version, kind) =>
    `@kubernetes-models/elastic-cloud/_schemas/ComGithubElasticCloudOnK8sV3PkgApisKibana${version}${kind}.js`,
};
const FREE_FORM = new Set(["config", "listenerConfig"]);

async function validatorFor(apiVersion, kind) {
  const [group, version] = apiVersion.split("/");
  const module = MODULES[group];
  if (!module) return null;
  const name = module(version.replace(/^v/, "V"), kind);
  // The packages do not export _schemas/: import the file itself.
  const url = new URL(`./node_modules/${name}`, import.meta.url);
  return (await import(url)).validate;
}

function fieldPaths(value, prefix = "") {
  if (!value || typeof value !== "object") return [];
  return Object.entries(value).flatMap(([key, child]) => {
    const path = `${prefix}/${key}`;
    return [path, ...fieldPaths(child, path)];
  });
}

function withValueAt(document, path, value) {
  const copy = structuredClone(document);
  const keys = path.split("/").slice(1);
  const parent = keys.slice(0, -1).reduce((node, key) => node[key], copy);
  parent[keys.at(-1)] = value;
  return copy;
}

function valueAt(document, path) {
  return path.split("/").slice(1).reduce((node, key) => node[key], document);
}

function undeclaredPaths(validate, document) {
  const undeclared = [];
  for (const path of fieldPaths(document.spec, "/spec")) {
    const original = valueAt(document, path);
    const isObject = original !== null && typeof original === "object" && !Array.isArray(original);
    validate(withValueAt(document, path, isObject ? 12345 : { probe: 1 }));
    if (!(validate.errors ?? []).some((error) => error.instancePath === path)) {
      undeclared.push(path);
    }
  }
  // A key inside a declared free-form map is configuration, not a field.
  return undeclared.filter((path) => {
    const keys = path.split("/");
    const at = keys.findLastIndex((key) => FREE_FORM.has(key));
    return at < 0 || at === keys.length - 1 || undeclared.includes(keys.slice(0, at + 1).join("/"));
  });
}

let failures = 0;
let checked = 0;
for (const file of process.argv.slice(2)) {
  for (const parsed of parseAllDocuments(readFileSync(file, "utf8"))) {
    const document = parsed.toJS();
    if (!document) continue;
    const validate = await validatorFor(document.apiVersion, document.kind);
    if (!validate) continue;
    checked += 1;
    const name = `${file}: ${document.kind}/${document.metadata?.name}`;
    const problems = [];
    if (!validate(document)) {
      problems.push(...validate.errors.map((e) => `${e.instancePath || "<root>"}: ${e.keyword} ${JSON.stringify(e.params)}`));
    }
    problems.push(...undeclaredPaths(validate, document).map((path) => `${path}: unknown field`));
    for (const problem of problems) console.log(`${name}: ${problem}`);
    failures += problems.length;
  }
}
console.log(`${checked} resources cross-checked, ${failures} problems`);
process.exit(failures ? 1 : 0);
