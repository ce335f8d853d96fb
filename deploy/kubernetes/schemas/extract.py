"""Extract the schemas of CustomResourceDefinitions into this directory, for offline validation.

    python deploy/kubernetes/schemas/extract.py CRD.yaml... [--source "repo path@commit"]

Each served version of each CRD becomes ``<kind>.<group>.<version>.yaml`` (kind in lower
case) holding the group, version, kind and the version's ``openAPIV3Schema`` with its
descriptions removed (they are documentation, not constraints). ``validate.py`` finds
schemas here by group, version and kind.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent


def without_descriptions(schema: Any) -> Any:
    """Return ``schema`` without ``description`` keys (a property named so is kept)."""
    if isinstance(schema, list):
        return [without_descriptions(each) for each in schema]
    if not isinstance(schema, dict):
        return schema
    result = {}
    for key, value in schema.items():
        if key == "description" and isinstance(value, str):
            continue
        if key == "properties" and isinstance(value, dict):
            result[key] = {name: without_descriptions(sub) for name, sub in value.items()}
        else:
            result[key] = without_descriptions(value)
    return result


def extract(crd: dict[str, Any], source: str) -> dict[Path, str]:
    """The schema files of one CRD document, by path."""
    spec = crd["spec"]
    kind = spec["names"]["kind"]
    files = {}
    for version in spec["versions"]:
        if not version.get("served", True) or "schema" not in version:
            continue
        document = {
            "group": spec["group"],
            "version": version["name"],
            "kind": kind,
            "openAPIV3Schema": without_descriptions(version["schema"]["openAPIV3Schema"]),
        }
        header = (
            f"# source: {source}\n# The openAPIV3Schema of version {version['name']},"
            " descriptions removed (extract.py).\n"
        )
        path = HERE / f"{kind.lower()}.{spec['group']}.{version['name']}.yaml"
        files[path] = header + yaml.safe_dump(document, sort_keys=False)
    return files


def main(argv: list[str] | None = None) -> int:
    """Write the schema files of every CRD in the given YAML files."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--source", help="where the CRDs come from (repository, path, commit)")
    args = parser.parse_args(argv)
    for path in args.files:
        with path.open(encoding="utf-8") as stream:
            for document in yaml.safe_load_all(stream):
                if not document or document.get("kind") != "CustomResourceDefinition":
                    continue
                for target, text in extract(document, args.source or str(path)).items():
                    target.write_text(text, encoding="utf-8")
                    print(f"wrote {target.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
