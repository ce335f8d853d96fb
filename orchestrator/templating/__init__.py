"""Kestra-compatible (Pebble) templates rendered by a sandboxed, strict Jinja engine.

Typical use::

    renderer = TemplateRenderer(secret_provider=secrets.get, envs=envs_from_environ(os.environ))
    used: set[str] = set()
    message = renderer.render(
        "{{ inputs.name | upper }}", context, task_id="t1", property_path="message",
        used_secrets=used,
    )
"""

from orchestrator.templating.errors import TemplateError
from orchestrator.templating.functions import ERROR_LOGS_KEY
from orchestrator.templating.renderer import (
    TemplateRenderer,
    envs_from_environ,
    has_template,
    validate_template,
)
from orchestrator.templating.values import to_json, to_output

__all__ = [
    "ERROR_LOGS_KEY",
    "TemplateError",
    "TemplateRenderer",
    "envs_from_environ",
    "has_template",
    "to_json",
    "to_output",
    "validate_template",
]
