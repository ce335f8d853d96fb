"""``/triggers``: trigger states from ``kestrel-triggers``; actions answer 501 for now.

The actions (enable, disable, unlock, backfill) belong to the scheduler, built in
``orchestrator/scheduler``; its client is wired to the handlers of this module alone.
"""

from __future__ import annotations

from aiohttp import web

from orchestrator.webserver.context import context_of
from orchestrator.webserver.errors import ApiError
from orchestrator.webserver.models import ApiModel, PagedResults, QueryModel
from orchestrator.webserver.routes import Registry, parse_query

api = Registry("Triggers")


class TriggerSearchQuery(QueryModel):
    """``GET /triggers/search``."""

    namespace: str | None = None
    flow_id: str | None = None
    page: int = 1
    size: int = 100


class TriggerView(ApiModel):
    """The scheduler's state of one trigger."""

    namespace: str
    flow_id: str
    trigger_id: str


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
    start = max(query.page - 1, 0) * max(query.size, 1)
    chosen = states[start : start + max(query.size, 1)]
    results = []
    for state in chosen:
        data = state.to_json_dict()
        data.pop("type", None)
        data.pop("version", None)
        results.append(data)
    return web.json_response({"results": results, "total": len(states)})


async def not_yet(request: web.Request) -> web.Response:
    """Trigger actions need the scheduler service."""
    raise ApiError(
        501,
        f"{request.method} {request.path}: trigger actions (enable, disable, unlock, backfill) "
        "need the scheduler, which this version does not run yet",
    )


for _path, _summary in (
    ("/triggers/set-disabled", "Enable or disable triggers"),
    ("/triggers/{namespace}/{flowId}/{triggerId}/unlock", "Unlock a trigger"),
    ("/triggers/backfill/pause", "Pause a backfill"),
    ("/triggers/backfill/unpause", "Resume a backfill"),
    ("/triggers/backfill/delete", "Delete a backfill"),
):
    api.route("POST", _path, summary=_summary)(not_yet)
api.route("PUT", "/triggers", summary="Update a trigger (start a backfill)")(not_yet)
