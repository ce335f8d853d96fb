"""An API app over the test's backends, with the executor, a worker and the indexer running."""

from __future__ import annotations

import base64
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from orchestrator.settings import KestrelSettings
from orchestrator.webserver.auth import hash_secret
from orchestrator.webserver.settings import ApiToken, ApiUser

USER, PASSWORD, TOKEN = "admin", "s3cret-pass", "tok-123456"
AUTH = {"Authorization": "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()}

GREET = """id: greet
namespace: api.test
inputs:
  - id: user
    type: STRING
tasks:
  - id: hello
    type: io.kestra.plugin.core.log.Log
    message: "Hello {{ inputs.user }}"
  - id: greeting
    type: io.kestra.plugin.core.debug.Return
    format: "Hi {{ inputs.user }}"
outputs:
  - id: text
    type: STRING
    value: "{{ outputs.greeting.value }}"
"""

APPROVAL = """id: approval
namespace: api.test
tasks:
  - id: wait
    type: io.kestra.plugin.core.flow.Pause
  - id: after
    type: io.kestra.plugin.core.debug.Return
    format: done
"""

HOOK = """id: hook
namespace: api.test
tasks:
  - id: said
    type: io.kestra.plugin.core.log.Log
    message: "webhook from {{ trigger.body.name }}"
triggers:
  - id: web
    type: io.kestra.plugin.core.trigger.Webhook
    key: k3y-abc
    conditions:
      - type: io.kestra.plugin.core.condition.Expression
        expression: "{{ trigger.body.name != 'nobody' }}"
"""


def with_auth(settings: KestrelSettings) -> KestrelSettings:
    """``settings`` with one user and one API token."""
    auth = settings.webserver.auth.model_copy(
        update={
            "users": (ApiUser(username=USER, password_hash=hash_secret(PASSWORD)),),
            "tokens": (ApiToken(name="ci", token_hash=hash_secret(TOKEN)),),
        }
    )
    webserver = settings.webserver.model_copy(update={"auth": auth, "keepalive_interval": 1.0})
    return settings.model_copy(update={"webserver": webserver})


@contextmanager
def running_services(settings: KestrelSettings) -> Iterator[None]:
    """Executor, one worker and the indexer in threads of this process."""
    from orchestrator.cli.services import build_services

    services = build_services(settings, executor=True, workers=1, threads=2)
    threads = [threading.Thread(target=s.run, daemon=True) for s in services]
    for thread in threads:
        thread.start()
    try:
        yield
    finally:
        for service in services:
            service.stop()
        for thread in threads:
            thread.join(timeout=30)


ASK = """id: ask
namespace: api.test
tasks:
  - id: wait
    type: io.kestra.plugin.core.flow.Pause
    onResume:
      - id: approver
        type: STRING
  - id: after
    type: io.kestra.plugin.core.debug.Return
    format: "approved by {{ outputs.wait.onResume.approver }}"
outputs:
  - id: by
    type: STRING
    value: "{{ outputs.after.value }}"
"""

UPLOAD = """id: upload
namespace: api.test
inputs:
  - id: data
    type: FILE
tasks:
  - id: show
    type: io.kestra.plugin.core.log.Log
    message: "got {{ inputs.data }}"
"""
