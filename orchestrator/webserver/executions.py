"""``/executions``: create (JSON or multipart, ``?wait``), read, search and command executions."""

from __future__ import annotations

import time
from typing import Any

from aiohttp import web

from orchestrator.control import ControlError, ExecutionNotFoundError
from orchestrator.models.execution import Execution, new_id
from orchestrator.models.labels import Label
from orchestrator.models.messages import CreateExecution
from orchestrator.models.state import State
from orchestrator.repository import ExecutionFilter
from orchestrator.webserver.context import ApiContext, context_of
from orchestrator.webserver.errors import bad_request, not_found
from orchestrator.webserver.inputs import read_inputs
from orchestrator.webserver.keys import PARTITIONS
from orchestrator.webserver.models import (
    CreateExecutionQuery,
    ExecutionSearchQuery,
    ExecutionView,
    LabelView,
    PagedResults,
    ReplayQuery,
)
from orchestrator.webserver.routes import Body, Registry, parse_json, parse_query
from orchestrator.webserver.search import search_executions
from orchestrator.webserver.views import execution_json
from orchestrator.webserver.watch import ExecutionWatch, settled

api = Registry("Executions")
INPUTS_BODY = Body("multipart/form-data", dict[str, Any], required=False)


def parse_labels(values: list[str]) -> list[Label]:
    """``key:value`` query parameters as labels.

    Raises:
        ApiError: 400 for one without a colon.
    """
    labels = []
    for value in values:
        key, colon, text = value.partition(":")
        if not colon or not key:
            raise bad_request(f"invalid label {value!r}: use key:value")
        labels.append(Label(key=key, value=text))
    return labels


def created_view(context: ApiContext, command: CreateExecution) -> dict[str, Any]:
    """The execution as it is the moment it was created (Kestra answers with it)."""
    record = context.flows.get(command.namespace, command.flow_id)
    execution = Execution(
        id=command.execution_id,
        namespace=command.namespace,
        flow_id=command.flow_id,
        flow_revision=command.flow_revision or (record.revision if record else 1),
        state=State.of(at=command.created),
        inputs=command.inputs,
        labels=command.labels,
        trigger=command.trigger,
        schedule_date=command.schedule_date,
    )
    return execution_json(execution)


async def wait_for_end(
    context: ApiContext, watch: ExecutionWatch, execution_id: str
) -> Execution | None:
    """Read snapshots until the execution settles, or the wait timeout (then the latest)."""
    deadline = time.monotonic() + context.settings.webserver.wait_timeout
    latest: Execution | None = None
    while time.monotonic() < deadline:
        for _, _, value in await context.poll(watch.poll, 0.5):
            if isinstance(value, Execution) and (latest is None or value.seq >= latest.seq):
                latest = value
        if latest is not None and settled(latest):
            return latest
    return latest


async def wait_existing(
    request: web.Request, context: ApiContext, execution_id: str
) -> Execution | None:
    """Wait for an execution created earlier to settle; its latest snapshot, or None."""
    watch = await context.poll(
        ExecutionWatch, context.settings, request.app[PARTITIONS], execution_id
    )
    try:
        current = await context.run(context.control.latest, execution_id)
        watch.seed(current)
        if settled(current):  # it ended before the watch started
            return current
        return await wait_for_end(context, watch, execution_id) or current
    except ExecutionNotFoundError:
        return None
    finally:
        await context.poll(watch.close)


async def create_and_answer(
    request: web.Request,
    context: ApiContext,
    command: CreateExecution,
    wait: bool,
) -> web.Response:
    """Send a Create command; answer at once, or (``wait``) with the final execution."""
    if not wait:
        await context.run(context.control.send, command)
        return web.json_response(created_view(context, command))
    watch = await context.poll(
        ExecutionWatch, context.settings, request.app[PARTITIONS], command.execution_id
    )
    try:
        await context.run(context.control.send, command)
        final = await wait_for_end(context, watch, command.execution_id)
    finally:
        await context.poll(watch.close)
    if final is None:
        return web.json_response(created_view(context, command))
    return web.json_response(execution_json(final))


@api.route(
    "GET",
    "/executions/search",
    summary="Search executions",
    query=ExecutionSearchQuery,
    response=PagedResults[ExecutionView],
)
async def search(request: web.Request) -> web.Response:
    """Executions matching every filter given, newest first by default."""
    return await _search(request)


@api.route(
    "GET",
    "/executions",
    summary="Search executions of a flow (Kestra's older form)",
    query=ExecutionSearchQuery,
    response=PagedResults[ExecutionView],
)
async def search_by_flow(request: web.Request) -> web.Response:
    """``?namespace=&flowId=`` as in ``/executions/search``."""
    return await _search(request)


async def _search(request: web.Request) -> web.Response:
    context = context_of(request)
    query = parse_query(request, ExecutionSearchQuery)
    criteria = ExecutionFilter(
        namespace=query.namespace,
        flow_id=query.flow_id,
        states=tuple(query.state),
        labels=tuple((label.key, label.value) for label in parse_labels(query.labels)),
        start=query.start_date,
        end=query.end_date,
        text=query.q,
    )
    results, total = await context.run(
        search_executions, context.repositories, criteria, query.page, query.size, query.sort
    )
    return web.json_response({"results": [execution_json(e) for e in results], "total": total})


async def find_execution(context: ApiContext, execution_id: str) -> Execution:
    """The latest snapshot: from Elasticsearch, else from Kafka (not indexed yet).

    Raises:
        ApiError: 404 when neither has it.
    """
    execution = await context.run(context.repositories.executions.get, execution_id)
    if execution is None or execution.deleted:
        try:
            execution = await context.run(context.control.latest, execution_id)
        except ExecutionNotFoundError as exc:
            raise not_found(str(exc)) from exc
    return execution


def _id(request: web.Request) -> str:
    return request.match_info["executionId"]


@api.route(
    "POST",
    "/executions/{executionId}/restart",
    summary="Restart an execution from its failed task runs",
    response=ExecutionView,
)
async def restart(request: web.Request) -> web.Response:
    """Restart a failed (or killed, or paused) execution."""
    context = context_of(request)
    execution = await context.run(context.control.restart, _id(request))
    return web.json_response(execution_json(execution))


@api.route(
    "POST",
    "/executions/{executionId}/replay",
    summary="Replay an execution as a new one",
    query=ReplayQuery,
    response=ExecutionView,
)
async def replay(request: web.Request) -> web.Response:
    """Replay from ``taskRunId`` (else from the start); answers the new execution."""
    context = context_of(request)
    query = parse_query(request, ReplayQuery)
    source = await context.run(context.control.latest, _id(request))
    new_execution_id = await context.run(context.control.replay, _id(request), query.task_run_id)
    preview = source.model_copy(
        update={
            "id": new_execution_id,
            "original_id": source.original_id or source.id,
            "state": State.of(),
        }
    )
    return web.json_response(execution_json(preview))


@api.route(
    "POST",
    "/executions/{executionId}/resume",
    summary="Resume a paused execution",
    body=INPUTS_BODY,
    status=204,
)
async def resume(request: web.Request) -> web.Response:
    """Resume with the Pause's ``onResume`` inputs (JSON or multipart)."""
    context = context_of(request)
    execution = await context.run(context.control.latest, _id(request))
    prefix = f"{execution.namespace}/{execution.flow_id}/executions/{execution.id}/resume"
    inputs = await read_inputs(request, context, prefix)
    await context.run(context.control.resume, _id(request), inputs)
    return web.Response(status=204)


@api.route(
    "POST",
    "/executions/{executionId}/labels",
    summary="Set the labels of an ended execution",
    body=Body("application/json", list[LabelView]),
    response=ExecutionView,
)
async def set_labels(request: web.Request) -> web.Response:
    """Replace the labels (``system.*`` ones are kept)."""
    context = context_of(request)
    try:
        body = await request.json()
    except ValueError as exc:
        raise bad_request("the body is not JSON: send a list of {key, value}") from exc
    if not isinstance(body, list):
        raise bad_request("the body must be a list of {key, value}")
    labels = [
        Label(key=view.key, value=view.value)
        for view in (parse_json(item, LabelView, f"body[{i}]") for i, item in enumerate(body))
    ]
    execution = await context.run(context.control.set_labels, _id(request), labels)
    return web.json_response(execution_json(execution))


@api.route("DELETE", "/executions/{executionId}/kill", summary="Kill an execution", status=202)
async def kill(request: web.Request) -> web.Response:
    """Kill an execution that has not ended (202: the executor stops it)."""
    context = context_of(request)
    await context.run(context.control.kill, _id(request))
    return web.Response(status=202)


@api.route(
    "POST",
    "/executions/{namespace}/{id}",
    summary="Create an execution of a flow",
    query=CreateExecutionQuery,
    body=INPUTS_BODY,
    response=ExecutionView,
)
async def create(request: web.Request) -> web.Response:
    """Run a deployed flow with inputs (``?wait=true``: answer once it ended)."""
    return await _create(request)


@api.route(
    "POST",
    "/executions/trigger/{namespace}/{id}",
    summary="Create an execution of a flow (Kestra's older path)",
    query=CreateExecutionQuery,
    body=INPUTS_BODY,
    response=ExecutionView,
)
async def create_by_trigger_path(request: web.Request) -> web.Response:
    """As ``POST /executions/{namespace}/{id}``."""
    return await _create(request)


async def _create(request: web.Request) -> web.Response:
    context = context_of(request)
    query = parse_query(request, CreateExecutionQuery)
    namespace, flow_id = request.match_info["namespace"], request.match_info["id"]
    record = context.flows.get(namespace, flow_id)
    if record is None or record.deleted:
        raise not_found(f"flow {namespace}.{flow_id} not found")
    execution_id = new_id()
    prefix = f"{namespace}/{flow_id}/executions/{execution_id}/inputs"
    labels = parse_labels(query.labels)
    inputs = await read_inputs(request, context, prefix)
    try:
        command = context.control.prepare(
            namespace,
            flow_id,
            inputs,
            labels=labels,
            schedule_date=query.schedule_date,
            execution_id=execution_id,
            revision=query.revision,
        )
    except ControlError:
        await context.run(_drop_uploads, context, prefix)  # refused: its files go too
        raise
    return await create_and_answer(request, context, command, query.wait)


def _drop_uploads(context: ApiContext, prefix: str) -> None:
    for uri in context.storage.list(prefix):
        context.storage.delete(uri)


@api.route("GET", "/executions/{executionId}", summary="Get an execution", response=ExecutionView)
async def get(request: web.Request) -> web.Response:
    """The latest snapshot of an execution."""
    execution = await find_execution(context_of(request), _id(request))
    return web.json_response(execution_json(execution))


@api.route("DELETE", "/executions/{executionId}", summary="Delete an execution", status=204)
async def delete(request: web.Request) -> web.Response:
    """Delete an execution."""
    context = context_of(request)
    await context.run(context.control.delete, _id(request))
    return web.Response(status=204)
