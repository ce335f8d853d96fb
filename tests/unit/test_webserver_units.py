"""Pure parts of the webserver: ids of webhooks, conditions, auth, documents, graph, OpenAPI."""

import base64
from datetime import UTC, datetime, timedelta

import pytest

from orchestrator.flows import parse_flow
from orchestrator.models.triggers import Webhook
from orchestrator.webserver.app import REGISTRIES
from orchestrator.webserver.auth import Authenticator, hash_secret
from orchestrator.webserver.errors import ApiError
from orchestrator.webserver.flows import _documents
from orchestrator.webserver.graph import flow_graph
from orchestrator.webserver.inputs import safe_file_name
from orchestrator.webserver.openapi import openapi_document
from orchestrator.webserver.settings import ApiToken, ApiUser, AuthSettings
from orchestrator.webserver.webhooks import _webhook_conditions_hold, idempotent_id


def test_idempotent_ids_are_stable_and_distinct() -> None:
    first = idempotent_id("ns", "flow", "key", "abc")
    assert first == idempotent_id("ns", "flow", "key", "abc")
    assert first != idempotent_id("ns", "flow", "key", "abd")
    assert first != idempotent_id("ns", "other", "key", "abc")
    assert len(first) == 22 and first.isalnum()


def _hook(*conditions: dict[str, str]) -> Webhook:
    return Webhook(
        id="w", type="io.kestra.plugin.core.trigger.Webhook", key="k", conditions=list(conditions)
    )


def test_webhook_conditions_are_the_schedulers() -> None:
    context = {"trigger": {"body": {"n": 3}}}
    assert _webhook_conditions_hold(_hook(), context)
    holds = {
        "type": "io.kestra.plugin.core.condition.Expression",
        "expression": "{{ trigger.body.n > 2 }}",
    }
    fails = {
        "type": "io.kestra.plugin.core.condition.Expression",
        "expression": "{{ trigger.body.n > 5 }}",
    }
    today = datetime.now(UTC).strftime("%A").upper()
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).strftime("%A").upper()
    on_today = {"type": "io.kestra.plugin.core.condition.DayWeek", "dayOfWeek": today}
    on_tomorrow = {"type": "io.kestra.plugin.core.condition.DayWeek", "dayOfWeek": tomorrow}
    broken = {"type": "io.kestra.plugin.core.condition.Expression", "expression": "{{ nope( }}"}
    assert _webhook_conditions_hold(_hook(holds, on_today), context)
    assert not _webhook_conditions_hold(_hook(holds, fails), context)
    # Not only expressions: every condition type of the scheduler counts.
    assert not _webhook_conditions_hold(_hook(holds, on_tomorrow), context)
    assert not _webhook_conditions_hold(_hook(broken), context)


def test_authenticator_accepts_users_and_tokens_and_names_the_problem() -> None:
    auth = Authenticator(
        AuthSettings(
            users=(ApiUser(username="ada", password_hash=hash_secret("pw")),),
            tokens=(ApiToken(name="ci", token_hash=hash_secret("tok")),),
        )
    )
    basic = "Basic " + base64.b64encode(b"ada:pw").decode()
    assert auth.authenticate(basic) == "ada"
    assert auth.known(basic)
    assert auth.authenticate("Bearer tok") == "token"
    for header, message in (
        (None, "authentication required"),
        ("Basic " + base64.b64encode(b"ada:no").decode(), "wrong username or password"),
        ("Basic !!!", "malformed"),
        ("Bearer nope", "unknown API token"),
        ("Digest x", "unsupported"),
    ):
        with pytest.raises(ApiError) as raised:
            auth.authenticate(header)
        assert raised.value.status == 401 and message in raised.value.message
    assert auth.is_open("/health") and auth.is_open("/api/v1/main/executions/webhook/a/b/c")
    assert not auth.is_open("/api/v1/main/flows/search")
    assert Authenticator(AuthSettings(enabled=False)).is_open("/api/v1/main/flows/search")


def test_documents_keep_their_line_numbers() -> None:
    source = "id: a\n---\n\n---\nid: b\nx: 1\n"
    first, second = _documents(source)
    assert first == "id: a\n"
    assert second.splitlines()[4] == "id: b"


def test_graph_links_parallel_branches_and_errors() -> None:
    flow = parse_flow(
        "id: g\nnamespace: n\ntasks:\n"
        "  - id: p\n    type: io.kestra.plugin.core.flow.Parallel\n    tasks:\n"
        "      - id: a\n        type: io.kestra.plugin.core.debug.Return\n        format: a\n"
        "      - id: b\n        type: io.kestra.plugin.core.debug.Return\n        format: b\n"
        "  - id: last\n    type: io.kestra.plugin.core.debug.Return\n    format: c\n"
        "errors:\n  - id: e\n    type: io.kestra.plugin.core.log.Log\n    message: x\n"
    )
    edges = {(e["source"], e["target"]) for e in flow_graph(flow)["edges"]}
    assert {("root.p", "root.p.a"), ("root.p", "root.p.b")} <= edges
    assert {
        ("root.p.a", "root.last"),
        ("root.p.b", "root.last"),
        ("root.last", "root.end"),
    } <= edges
    assert ("root.start", "root.errors.e") in edges


def test_file_names_stay_one_plain_part() -> None:
    assert safe_file_name("../../etc/passwd", "x") == "passwd"
    assert safe_file_name("..%2F..%2Fsecret key.txt", "x") == "secret_key.txt"
    assert safe_file_name("..", "fallback") == "fallback"
    assert safe_file_name(None, "fallback") == "fallback"


def test_openapi_document_lists_every_route_with_models() -> None:
    document = openapi_document(REGISTRIES)
    assert document["openapi"] == "3.1.0"
    create = document["paths"]["/api/v1/main/executions/{namespace}/{id}"]["post"]
    names = {parameter["name"] for parameter in create["parameters"]}
    assert {"namespace", "id", "wait", "labels", "scheduleDate"} <= names
    assert "ExecutionView" in document["components"]["schemas"]
    routes = sum(len(registry.routes) for registry in REGISTRIES)
    assert sum(len(methods) for methods in document["paths"].values()) == routes


def test_hash_password_prints_a_hash_the_authenticator_accepts() -> None:
    from click.testing import CliRunner

    from orchestrator.cli.main import cli

    result = CliRunner().invoke(cli, ["hash-password", "--password", "pw"])
    assert result.exit_code == 0
    user = ApiUser(username="u", password_hash=result.stdout.strip())
    basic = "Basic " + base64.b64encode(b"u:pw").decode()
    assert Authenticator(AuthSettings(users=(user,))).authenticate(basic) == "u"
