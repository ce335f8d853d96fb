"""schemathesis against the served OpenAPI document: no 5xx, no answer breaking the schema."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance
from webserver_helpers import AUTH, GREET, with_auth

from orchestrator.settings import KestrelSettings
from orchestrator.webserver.app import WebserverService

pytestmark = pytest.mark.integration
STREAMING = ("/follow",)  # Server-Sent Events never end by themselves


@pytest.fixture
def served(settings: KestrelSettings) -> Iterator[str]:
    config = with_auth(settings)
    config = config.model_copy(
        update={"webserver": config.webserver.model_copy(update={"port": 0, "wait_timeout": 2.0})}
    )
    service = WebserverService(config)
    thread = threading.Thread(target=service.run, daemon=True)
    thread.start()
    assert service.ready.wait(60), "the API did not start"
    yield service.url
    service.stop()
    thread.join(timeout=30)


def test_no_server_error_and_schema_conformance(served: str) -> None:
    deploy = requests.post(
        f"{served}/api/v1/main/flows",
        data=GREET,
        headers={**AUTH, "Content-Type": "application/x-yaml"},
        timeout=30,
    )
    assert deploy.status_code == 200, deploy.text
    document = requests.get(f"{served}/api/v1/openapi.json", headers=AUTH, timeout=30).json()
    schema = schemathesis.openapi.from_dict(document)
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if any(part in operation.path for part in STREAMING):
            continue

        @given(case=operation.as_strategy())
        @hypothesis_settings(
            max_examples=5,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case: schemathesis.Case) -> None:
            response = case.call(base_url=served, headers=AUTH, timeout=30)
            if response.status_code == 501:  # trigger actions: until the scheduler is there
                return
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path}: {response.status_code}")
                return
            try:
                case.validate_response(
                    response, checks=[not_a_server_error, response_schema_conformance]
                )
            except AssertionError as exc:
                failures.append(f"{case.method} {case.formatted_path}: {exc}")

        check()
    assert not failures, "\n".join(failures[:20])
