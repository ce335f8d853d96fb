"""``/executions/webhook/{namespace}/{flowId}/{key}``: start an execution from an HTTP call.

The request's body (JSON, else text), headers and query parameters become
``trigger.body``, ``trigger.headers`` and ``trigger.parameters``. A retried request with
the same ``Idempotency-Key`` header maps to the same execution id (a uuid5 of the flow, the
key and the idempotency key), and the engine ignores a second Create of an existing id:
one execution, whatever the retries.
"""

from __future__ import annotations

import hmac
import json
import logging
import uuid
from typing import Any

from aiohttp import web

from orchestrator.control import ExecutionNotFoundError
from orchestrator.models.execution import Execution, ExecutionTrigger
from orchestrator.models.flow import Flow
from orchestrator.models.state import utcnow
from orchestrator.models.triggers import Trigger, Webhook
from orchestrator.scheduler.conditions import ConditionContext, ConditionError, conditions_hold
from orchestrator.templating import TemplateError, TemplateRenderer
from orchestrator.webserver.context import ApiContext, context_of
from orchestrator.webserver.errors import ApiError, not_found
from orchestrator.webserver.executions import create_and_answer, wait_existing
from orchestrator.webserver.models import ExecutionView, WaitQuery
from orchestrator.webserver.routes import Body, Registry, parse_query
from orchestrator.webserver.views import execution_json
from orchestrator.webserver.watch import settled

api = Registry("Executions")
_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_RENDERER = TemplateRenderer()
log = logging.getLogger("kestrel.webserver")


def idempotent_id(namespace: str, flow_id: str, key: str, idempotency_key: str) -> str:
    """The execution id of a webhook call with an ``Idempotency-Key`` (22 base-62 chars)."""
    number = uuid.uuid5(
        uuid.NAMESPACE_URL, f"kestrel:{namespace}/{flow_id}/{key}/{idempotency_key}"
    ).int
    digits = []
    while number:
        number, remainder = divmod(number, 62)
        digits.append(_BASE62[remainder])
    return "".join(reversed(digits)).rjust(22, "0")


def _webhook_conditions_hold(trigger: Trigger, context: dict[str, Any]) -> bool:
    """Whether every condition of ``trigger`` holds for this request, now.

    The scheduler's evaluator (`orchestrator.scheduler.conditions`), so a webhook's
    conditions mean what a schedule's mean. One that cannot be evaluated (a template that
    fails, a malformed condition) does not hold: the call is answered 204 and the reason
    logged for the flow's author.
    """
    evaluation = ConditionContext(variables=context, date=utcnow(), renderer=_RENDERER)
    try:
        return conditions_hold(trigger.conditions, evaluation)
    except ConditionError as exc:
        log.warning("webhook trigger %s: a condition cannot be evaluated: %s", trigger.id, exc)
        return False


def _find_webhook(flow: Flow, key: str) -> Webhook | None:
    for trigger in flow.triggers:
        if (
            isinstance(trigger, Webhook)
            and not trigger.disabled
            and hmac.compare_digest(trigger.key.encode(), key.encode())
        ):
            return trigger
    return None


async def _variables(request: web.Request) -> dict[str, Any]:
    raw = await request.read()
    text = raw.decode("utf-8", "replace")
    body: Any = None
    if text:
        try:
            body = json.loads(text)
        except ValueError:
            body = text
    headers: dict[str, list[str]] = {}
    for name, value in request.headers.items():
        if name.lower() in ("authorization", "cookie"):
            continue  # credentials never reach a flow's variables
        headers.setdefault(name.lower(), []).append(value)
    parameters: dict[str, list[str]] = {}
    for name, value in request.query.items():
        parameters.setdefault(name, []).append(value)
    return {"body": body, "headers": headers, "parameters": parameters}


async def webhook(request: web.Request) -> web.Response:
    """Start an execution of the flow whose Webhook trigger has this key."""
    context = context_of(request)
    namespace = request.match_info["namespace"]
    flow_id = request.match_info["flowId"]
    key = request.match_info["key"]
    query = parse_query(request, WaitQuery)
    record = context.flows.get(namespace, flow_id)
    if record is None or record.deleted:
        raise not_found(f"flow {namespace}.{flow_id} not found")
    flow = Flow.model_validate(record.flow)
    trigger = _find_webhook(flow, key)
    if trigger is None or flow.disabled:
        raise not_found(f"flow {namespace}.{flow_id} has no enabled webhook with this key")
    variables = await _variables(request)
    render_context = {
        "trigger": variables,
        "flow": {"id": flow.id, "namespace": flow.namespace, "revision": record.revision},
    }
    if not _webhook_conditions_hold(trigger, render_context):
        return web.Response(status=204)
    inputs = _inputs(trigger, render_context)
    idempotency_key = request.headers.get("Idempotency-Key")
    execution_id = (
        idempotent_id(namespace, flow_id, key, idempotency_key) if idempotency_key else None
    )
    if execution_id is not None:
        existing = await _existing(context, execution_id)
        if existing is not None:  # a retry: answer with the execution the first call made
            if query.wait and not settled(existing):
                final = await wait_existing(request, context, execution_id)
                return web.json_response(execution_json(final or existing))
            return web.json_response(execution_json(existing))
    command = context.control.prepare(
        namespace,
        flow_id,
        inputs,
        trigger=ExecutionTrigger(id=trigger.id, type=trigger.type, variables=variables),
        execution_id=execution_id,
    )
    return await create_and_answer(request, context, command, query.wait)


def _inputs(trigger: Trigger, render_context: dict[str, Any]) -> dict[str, Any] | None:
    if not trigger.inputs:
        return None
    try:
        rendered = _RENDERER.render_recursive(trigger.inputs, render_context)
    except TemplateError as exc:
        raise ApiError(422, f"trigger {trigger.id}: inputs: {exc}") from exc
    return dict(rendered) if isinstance(rendered, dict) else None


async def _existing(context: ApiContext, execution_id: str) -> Execution | None:
    try:
        return await context.run(context.control.latest, execution_id)
    except ExecutionNotFoundError:
        return None


for _method in ("GET", "POST", "PUT"):
    api.route(
        _method,
        "/executions/webhook/{namespace}/{flowId}/{key}",
        summary=f"Start an execution from a webhook ({_method})",
        query=WaitQuery,
        body=Body("application/json", Any, required=False) if _method != "GET" else None,
        response=ExecutionView,
    )(webhook)
