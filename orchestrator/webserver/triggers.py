"""``/triggers``: trigger states from ``kestrel-triggers``, and the scheduler's actions.

The actions (enable, disable, unlock, backfill) call the scheduler's client module,
``orchestrator.scheduler.client`` (``set_enabled``, ``unlock``, ``start_backfill``,
``change_backfill``); until that module is installed they answer 501 with a clear message.
Everything that touches the scheduler is in this module.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from datetime import datetime
from typing import Any

from aiohttp import web
from pydantic import Field

from orchestrator.errors import OrchestratorError
from orchestrator.models.messages import TriggerState
from orchestrator.webserver.context import context_of
from orchestrator.webserver.errors import ApiError, bad_request
from orchestrator.webserver.models import ApiModel, BulkResponse, PagedResults, QueryModel
from orchestrator.webserver.routes import Body, Registry, parse_json, parse_query

api = Registry("Triggers")
SCHEDULER_CLIENT = "orchestrator.scheduler.client"


class TriggerSearchQuery(QueryModel):
    """``GET /triggers/search``."""

    namespace: str | None = None
    flow_id: str | None = None
    page: int = Field(default=1, ge=1, le=10_000)
    size: int = Field(default=100, ge=1, le=1000)


class BackfillView(ApiModel):
    """A trigger's backfill: its span, the next slot to fire (None once all fired)."""

    start: datetime
    end: datetime
    next_date: datetime | None = None
    paused: bool = False
    fired: int = 0
    inputs: dict[str, Any] = Field(default_factory=dict)


class TriggerView(ApiModel):
    """The scheduler's state of one trigger (the ids alone in an action's answer)."""

    namespace: str
    flow_id: str
    trigger_id: str
    next_date: datetime | None = None
    last_date: datetime | None = None
    disabled: bool = False
    execution_id: str | None = Field(
        default=None, description="The execution the trigger is locked to"
    )
    fired: int = 0
    backfill: BackfillView | None = None
    updated: datetime | None = None


def trigger_json(state: TriggerState) -> dict[str, Any]:
    """A trigger state as the API answers it (camelCase, without the wire envelope)."""
    data = state.to_json_dict()
    data.pop("type", None)
    data.pop("version", None)
    return data


class TriggerRef(ApiModel):
    """Which trigger: its flow's namespace and id, and its own id."""

    namespace: str = Field(min_length=1)
    flow_id: str = Field(min_length=1)
    trigger_id: str = Field(min_length=1)


class SetDisabled(ApiModel):
    """``POST /triggers/set-disabled``."""

    triggers: list[TriggerRef]
    disabled: bool


class BackfillRequest(ApiModel):
    """The dates (and inputs, labels) of a backfill."""

    start: datetime
    end: datetime | None = None
    inputs: dict[str, Any] = Field(default_factory=dict)
    labels: list[dict[str, str]] = Field(default_factory=list)


class TriggerUpdate(TriggerRef):
    """``PUT /triggers``: a trigger with the backfill to start."""

    backfill: BackfillRequest | None = None


@api.route(
    "GET",
    "/triggers/search",
    summary="Search trigger states",
    query=TriggerSearchQuery,
    response=PagedResults[TriggerView],
)
async def search_triggers(request: web.Request) -> web.Response:
    """Trigger states by namespace, flow and trigger id."""
    context = context_of(request)
    query = parse_query(request, TriggerSearchQuery)
    states = await context.run(context.repositories.flows.triggers, query.namespace, query.flow_id)
    start = (query.page - 1) * query.size
    results = [trigger_json(state) for state in states[start : start + query.size]]
    return web.json_response({"results": results, "total": len(states)})


def _scheduler(request: web.Request, operation: str) -> Callable[..., Any]:
    try:
        client = importlib.import_module(SCHEDULER_CLIENT)
    except ImportError as exc:
        raise ApiError(
            501,
            f"{request.method} {request.path}: trigger actions (enable, disable, unlock, "
            "backfill) need the scheduler, which this version does not include",
        ) from exc
    function: Callable[..., Any] = getattr(client, operation)
    return function


async def _call(request: web.Request, operation: str, *args: Any, **kwargs: Any) -> None:
    context = context_of(request)
    function = _scheduler(request, operation)
    try:
        await context.run(function, context.settings, *args, **kwargs)
    except OrchestratorError as exc:
        unknown = type(exc).__name__ == "UnknownTriggerError"
        raise ApiError(404 if unknown else 422, str(exc)) from exc


async def _body(request: web.Request) -> Any:
    try:
        return await request.json()
    except ValueError as exc:
        raise bad_request(f"the body is not JSON: {exc}") from exc


def _ref_json(ref: TriggerRef) -> dict[str, str]:
    return {"namespace": ref.namespace, "flowId": ref.flow_id, "triggerId": ref.trigger_id}


@api.route(
    "POST",
    "/triggers/set-disabled",
    summary="Enable or disable triggers",
    body=Body("application/json", SetDisabled),
    response=BulkResponse,
)
async def set_disabled(request: web.Request) -> web.Response:
    """Enable or disable each trigger listed."""
    body = parse_json(await _body(request), SetDisabled)
    for ref in body.triggers:
        await _call(
            request, "set_enabled", ref.namespace, ref.flow_id, ref.trigger_id, not body.disabled
        )
    return web.json_response({"count": len(body.triggers)})


@api.route(
    "POST",
    "/triggers/{namespace}/{flowId}/{triggerId}/unlock",
    summary="Unlock a trigger",
    response=TriggerView,
)
async def unlock(request: web.Request) -> web.Response:
    """Release a trigger locked to an execution."""
    ref = TriggerRef(
        namespace=request.match_info["namespace"],
        flow_id=request.match_info["flowId"],
        trigger_id=request.match_info["triggerId"],
    )
    await _call(request, "unlock", ref.namespace, ref.flow_id, ref.trigger_id)
    return web.json_response(_ref_json(ref))


@api.route(
    "PUT",
    "/triggers",
    summary="Update a trigger: start its backfill",
    body=Body("application/json", TriggerUpdate),
    response=TriggerView,
)
async def update(request: web.Request) -> web.Response:
    """Start the backfill the body describes."""
    body = parse_json(await _body(request), TriggerUpdate)
    if body.backfill is None:
        raise bad_request("nothing to update: give a backfill with its start date")
    labels = {item.get("key", ""): item.get("value", "") for item in body.backfill.labels}
    await _call(
        request,
        "start_backfill",
        body.namespace,
        body.flow_id,
        body.trigger_id,
        start=body.backfill.start,
        end=body.backfill.end,
        inputs=body.backfill.inputs,
        labels=labels,
    )
    return web.json_response(_ref_json(body))


def _backfill_action(action: str) -> Callable[[web.Request], Any]:
    async def handler(request: web.Request) -> web.Response:
        ref = parse_json(await _body(request), TriggerRef)
        await _call(request, "change_backfill", ref.namespace, ref.flow_id, ref.trigger_id, action)
        return web.json_response(_ref_json(ref))

    handler.__name__ = f"backfill_{action}"
    handler.__doc__ = f"{action.capitalize()} a trigger's backfill."
    return handler


for _path, _action in (("pause", "pause"), ("unpause", "resume"), ("delete", "delete")):
    api.route(
        "POST",
        f"/triggers/backfill/{_path}",
        summary=f"{_action.capitalize()} a trigger's backfill",
        body=Body("application/json", TriggerRef),
        response=TriggerView,
    )(_backfill_action(_action))
