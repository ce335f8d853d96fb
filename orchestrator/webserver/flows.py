"""``/flows``: deploy from YAML, read, search, validate, graph, enable and disable flows."""

from __future__ import annotations

import re
from typing import Any

import yaml
from aiohttp import web

from orchestrator.control import (
    FlowNotFoundError,
    InvalidFlowError,
    check_sources,
    delete_flow,
    publish_flows,
    set_flow_disabled,
)
from orchestrator.flows import check_source
from orchestrator.models.flow import Flow
from orchestrator.models.messages import FlowRecord
from orchestrator.webserver.context import ApiContext, context_of
from orchestrator.webserver.errors import ApiError, bad_request, not_found
from orchestrator.webserver.graph import flow_graph
from orchestrator.webserver.models import (
    BulkResponse,
    ConstraintViolations,
    FlowGraph,
    FlowId,
    FlowSearchQuery,
    FlowView,
    NamespaceUpdateQuery,
    PagedResults,
    SourceQuery,
)
from orchestrator.webserver.routes import Body, Registry, parse_json, parse_query
from orchestrator.webserver.views import flow_json

api = Registry("Flows")
YAML_BODY = Body("application/x-yaml", str)
_DOCUMENT_SEPARATOR = re.compile(r"^---[ \t]*$", re.MULTILINE)


async def yaml_body(request: web.Request) -> str:
    """The request's body as text (a flow's YAML source).

    Raises:
        ApiError: 400 when the body is empty or not UTF-8.
    """
    raw = await request.read()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise bad_request("the body is not UTF-8 text") from exc
    if not text.strip():
        raise bad_request("the body is empty: send a flow's YAML source")
    return text


def _name(request: web.Request) -> str:
    return f"{request.method} {request.path}"


def _live(context: ApiContext, namespace: str, flow_id: str) -> FlowRecord:
    record = context.flows.get(namespace, flow_id)
    if record is None or record.deleted:
        raise not_found(f"flow {namespace}.{flow_id} not found")
    return record


@api.route("POST", "/flows", summary="Create a flow from YAML", body=YAML_BODY, response=FlowView)
async def create_flow(request: web.Request) -> web.Response:
    """Deploy a new flow; 409 when it exists already (update it with PUT)."""
    context = context_of(request)
    source = await yaml_body(request)
    ((_, _, flow, _),) = check_sources([(_name(request), source)])
    existing = context.flows.get(flow.namespace, flow.id)
    if existing is not None and not existing.deleted:
        raise ApiError(409, f"flow {flow.namespace}.{flow.id} already exists; update it with PUT")
    (deployed,) = await context.run(
        publish_flows,
        context.settings,
        context.flows,
        [(_name(request), source)],
        producer=context.control.producer,
    )
    return web.json_response(flow_json(deployed.record, source=True))


@api.route(
    "GET",
    "/flows/search",
    summary="Search flows",
    query=FlowSearchQuery,
    response=PagedResults[FlowView],
)
async def search_flows(request: web.Request) -> web.Response:
    """Flows whose id, description or source match ``q``, in ``namespace`` and below."""
    context = context_of(request)
    query = parse_query(request, FlowSearchQuery)
    page = await context.run(
        context.repositories.flows.find,
        query.namespace,
        query.q,
        page=query.page,
        size=query.size,
    )
    wanted = [tuple(label.split(":", 1)) for label in query.labels if ":" in label]
    results = [
        flow_json(record)
        for record in page.items
        if all(_has_label(record, key, value) for key, value in wanted)
    ]
    return web.json_response({"results": results, "total": page.total})


def _has_label(record: FlowRecord, key: str, value: str) -> bool:
    labels = record.flow.get("labels") or []
    return any(item.get("key") == key and item.get("value") == value for item in labels)


@api.route(
    "GET",
    "/flows/distinct-namespaces",
    summary="Namespaces that have flows",
    response=list[str],
)
async def distinct_namespaces(request: web.Request) -> web.Response:
    """Every namespace with a deployed flow, sorted."""
    records = context_of(request).flows.records().values()
    return web.json_response(sorted({r.namespace for r in records if not r.deleted}))


@api.route(
    "POST",
    "/flows/validate",
    summary="Validate flows (multi-document YAML)",
    body=YAML_BODY,
    response=list[ConstraintViolations],
)
async def validate_flows(request: web.Request) -> web.Response:
    """One verdict per YAML document, with each problem's line and column."""
    source = await yaml_body(request)
    return web.json_response(
        [_validate(index, doc) for index, doc in enumerate(_documents(source))]
    )


def _documents(source: str) -> list[str]:
    """Split multi-document YAML, padding each with blank lines so line numbers hold."""
    documents = []
    separators = list(_DOCUMENT_SEPARATOR.finditer(source))
    bounds = [0, *[m.end() for m in separators]]
    ends = [*[m.start() for m in separators], len(source)]
    for start, end in zip(bounds, ends, strict=True):
        text = source[start:end]
        if text.strip():
            documents.append("\n" * source.count("\n", 0, start) + text)
    return documents


def _validate(index: int, source: str) -> dict[str, Any]:
    check = check_source(source, f"document {index}")
    data: dict[str, Any] = {"index": index, "outdated": False, "deprecationPaths": []}
    try:
        parsed = yaml.safe_load(source)
    except yaml.YAMLError:
        parsed = None
    if isinstance(parsed, dict):
        data["flow"] = str(parsed.get("id")) if parsed.get("id") is not None else None
        data["namespace"] = (
            str(parsed.get("namespace")) if parsed.get("namespace") is not None else None
        )
    if check.errors:
        data["constraints"] = "\n".join(str(problem) for problem in check.errors)
    data["warnings"] = [str(problem) for problem in check.warnings]
    data["problems"] = [
        {
            "line": problem.line,
            "column": problem.column,
            "message": problem.message,
            "warning": problem.warning,
        }
        for problem in check.problems
    ]
    return data


@api.route(
    "POST",
    "/flows/graph",
    summary="The graph of an unsaved flow",
    body=YAML_BODY,
    response=FlowGraph,
)
async def graph_of_source(request: web.Request) -> web.Response:
    """Nodes and edges of the flow in the body (not deployed)."""
    source = await yaml_body(request)
    ((_, _, flow, _),) = check_sources([(_name(request), source)])
    return web.json_response(flow_graph(flow))


async def _bulk(request: web.Request, disabled: bool) -> web.Response:
    context = context_of(request)
    try:
        body = await request.json()
    except ValueError as exc:
        raise bad_request("the body is not JSON: send a list of {namespace, id}") from exc
    if not isinstance(body, list):
        raise bad_request("the body must be a list of {namespace, id}")
    ids = [parse_json(item, FlowId, f"body[{i}]") for i, item in enumerate(body)]
    for each in ids:
        _live(context, each.namespace, each.id)
    for each in ids:
        await context.run(
            set_flow_disabled,
            context.settings,
            context.flows,
            each.namespace,
            each.id,
            disabled,
            producer=context.control.producer,
        )
    return web.json_response({"count": len(ids)})


@api.route(
    "POST",
    "/flows/enable/by-ids",
    summary="Enable flows",
    body=Body("application/json", list[FlowId]),
    response=BulkResponse,
)
async def enable_flows(request: web.Request) -> web.Response:
    """Enable each flow listed (a new revision without ``disabled``)."""
    return await _bulk(request, disabled=False)


@api.route(
    "POST",
    "/flows/disable/by-ids",
    summary="Disable flows",
    body=Body("application/json", list[FlowId]),
    response=BulkResponse,
)
async def disable_flows(request: web.Request) -> web.Response:
    """Disable each flow listed (a new revision with ``disabled: true``)."""
    return await _bulk(request, disabled=True)


@api.route(
    "POST",
    "/flows/bulk",
    summary="Deploy every flow of a multi-document YAML (one namespace)",
    query=NamespaceUpdateQuery,
    body=YAML_BODY,
    response=list[FlowView],
)
async def bulk_update(request: web.Request) -> web.Response:
    """As ``POST /flows/{namespace}`` with ``?namespace=``."""
    namespace = parse_query(request, NamespaceUpdateQuery).namespace
    if not namespace:
        raise bad_request("give the namespace: ?namespace=company.team")
    return await _update_namespace(request, namespace)


@api.route(
    "POST",
    "/flows/{namespace}",
    summary="Deploy every flow of a multi-document YAML into a namespace",
    query=NamespaceUpdateQuery,
    body=YAML_BODY,
    response=list[FlowView],
)
async def update_namespace(request: web.Request) -> web.Response:
    """Deploy each document; with ``delete`` (the default), delete the namespace's others."""
    return await _update_namespace(request, request.match_info["namespace"])


async def _update_namespace(request: web.Request, namespace: str) -> web.Response:
    context = context_of(request)
    query = parse_query(request, NamespaceUpdateQuery)
    source = await yaml_body(request)
    documents = [
        (f"{_name(request)} document {index}", text)
        for index, text in enumerate(_documents(source))
    ]
    checked = check_sources(documents)
    for _, _, flow, _ in checked:
        inside = flow.namespace == namespace or (
            query.allow_namespace_child and flow.namespace.startswith(namespace + ".")
        )
        if not inside:
            raise ApiError(422, f"flow {flow.namespace}.{flow.id} is not in namespace {namespace}")
    deployed = await context.run(
        publish_flows,
        context.settings,
        context.flows,
        documents,
        producer=context.control.producer,
    )
    if query.delete:
        kept = {(each.namespace, each.flow_id) for each in deployed}
        for record in context.flows.records().values():
            stale = (record.namespace, record.id) not in kept
            if record.namespace == namespace and not record.deleted and stale:
                await context.run(
                    delete_flow,
                    context.settings,
                    context.flows,
                    record.namespace,
                    record.id,
                    producer=context.control.producer,
                )
    return web.json_response([flow_json(each.record, source=True) for each in deployed])


@api.route("GET", "/flows/{namespace}", summary="Flows of a namespace", response=list[FlowView])
async def list_flows(request: web.Request) -> web.Response:
    """Every deployed flow of exactly this namespace."""
    namespace = request.match_info["namespace"]
    records = context_of(request).flows.records().values()
    found = sorted(
        (r for r in records if r.namespace == namespace and not r.deleted), key=lambda r: r.id
    )
    return web.json_response([flow_json(record) for record in found])


@api.route(
    "GET", "/flows/{namespace}/{id}", summary="Get a flow", query=SourceQuery, response=FlowView
)
async def get_flow(request: web.Request) -> web.Response:
    """The latest revision of a flow (``?source=true``: with its YAML)."""
    query = parse_query(request, SourceQuery)
    namespace, flow_id = request.match_info["namespace"], request.match_info["id"]
    record = context_of(request).flows.get(namespace, flow_id)
    if record is None or (record.deleted and not query.allow_deleted):
        raise not_found(f"flow {namespace}.{flow_id} not found")
    return web.json_response(flow_json(record, source=query.source))


@api.route(
    "PUT",
    "/flows/{namespace}/{id}",
    summary="Update a flow from YAML",
    body=YAML_BODY,
    response=FlowView,
)
async def update_flow(request: web.Request) -> web.Response:
    """Deploy a new revision of an existing flow (unchanged source: same revision)."""
    context = context_of(request)
    namespace, flow_id = request.match_info["namespace"], request.match_info["id"]
    source = await yaml_body(request)
    ((_, _, flow, _),) = check_sources([(_name(request), source)])
    if (flow.namespace, flow.id) != (namespace, flow_id):
        raise ApiError(
            422,
            f"the source declares {flow.namespace}.{flow.id}, "
            f"not {namespace}.{flow_id} as the path says",
        )
    _live(context, namespace, flow_id)
    (deployed,) = await context.run(
        publish_flows,
        context.settings,
        context.flows,
        [(_name(request), source)],
        producer=context.control.producer,
    )
    return web.json_response(flow_json(deployed.record, source=True))


@api.route("DELETE", "/flows/{namespace}/{id}", summary="Delete a flow", status=204)
async def remove_flow(request: web.Request) -> web.Response:
    """Delete a flow (its executions stay)."""
    context = context_of(request)
    namespace, flow_id = request.match_info["namespace"], request.match_info["id"]
    _live(context, namespace, flow_id)
    try:
        await context.run(
            delete_flow,
            context.settings,
            context.flows,
            namespace,
            flow_id,
            producer=context.control.producer,
        )
    except FlowNotFoundError as exc:
        raise not_found(str(exc)) from exc
    return web.Response(status=204)


@api.route(
    "GET",
    "/flows/{namespace}/{id}/revisions",
    summary="Every revision of a flow",
    response=list[FlowView],
)
async def flow_revisions(request: web.Request) -> web.Response:
    """Every revision, oldest first, with its source."""
    context = context_of(request)
    namespace, flow_id = request.match_info["namespace"], request.match_info["id"]
    records = await context.run(context.repositories.flows.revisions, namespace, flow_id)
    if not records:
        live = context.flows.get(namespace, flow_id)
        if live is None:
            raise not_found(f"flow {namespace}.{flow_id} not found")
        records = [live]
    return web.json_response([flow_json(record, source=True) for record in records])


@api.route(
    "GET", "/flows/{namespace}/{id}/graph", summary="The graph of a flow", response=FlowGraph
)
async def graph_of_flow(request: web.Request) -> web.Response:
    """Nodes and edges of a deployed flow."""
    context = context_of(request)
    record = _live(context, request.match_info["namespace"], request.match_info["id"])
    try:
        flow = Flow.model_validate(record.flow)
    except ValueError as exc:  # a revision written by an older version
        raise InvalidFlowError([]) from exc
    return web.json_response(flow_graph(flow))
