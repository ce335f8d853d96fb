"""Print the API's OpenAPI document (as served at /api/v1/openapi.json) without a server.

`npm run api` runs it, then regenerates `src/api/schema.d.ts` from the document.
"""

from __future__ import annotations

import json

from orchestrator.webserver.app import REGISTRIES
from orchestrator.webserver.openapi import openapi_document

if __name__ == "__main__":
    print(json.dumps(openapi_document(REGISTRIES), indent=1))
