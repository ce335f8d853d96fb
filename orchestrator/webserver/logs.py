"""``/logs``: search log lines, an execution's lines, and their download as text."""

from __future__ import annotations

from aiohttp import web

from orchestrator.models.log_level import LogLevel
from orchestrator.repository import LogFilter
from orchestrator.webserver.context import context_of
from orchestrator.webserver.errors import bad_request
from orchestrator.webserver.inputs import safe_file_name
from orchestrator.webserver.models import LogSearchQuery, LogView, PagedResults
from orchestrator.webserver.routes import Registry, parse_query
from orchestrator.webserver.views import log_json

api = Registry("Logs")
_DEEPEST = 10_000


def _criteria(query: LogSearchQuery, execution_id: str | None = None) -> LogFilter:
    level = None
    if query.min_level:
        try:
            level = LogLevel(query.min_level.upper())
        except ValueError as exc:
            levels = ", ".join(each.value for each in LogLevel)
            raise bad_request(f"invalid minLevel {query.min_level!r}: use one of {levels}") from exc
    return LogFilter(
        execution_id=execution_id or query.execution_id,
        task_id=query.task_id,
        task_run_id=query.task_run_id,
        min_level=level,
        text=query.q,
        start=query.start_date,
        end=query.end_date,
        namespace=query.namespace,
        flow_id=query.flow_id,
    )


@api.route(
    "GET",
    "/logs/search",
    summary="Search log lines",
    query=LogSearchQuery,
    response=PagedResults[LogView],
)
async def search_logs(request: web.Request) -> web.Response:
    """Lines matching every filter, oldest first, a page at a time."""
    context = context_of(request)
    query = parse_query(request, LogSearchQuery)
    if (query.page - 1) * query.size > _DEEPEST:
        raise bad_request(f"pages end at {_DEEPEST:,} lines; narrow the search instead")
    criteria = _criteria(query)

    def page() -> tuple[list[LogView | dict[str, object]], int]:
        repo = context.repositories.logs
        cursor = None
        for _ in range(query.page - 1):
            found = repo.search(criteria, size=query.size, after=cursor)
            cursor = found.next_cursor
            if cursor is None:
                return [], repo.count(criteria)
        found = repo.search(criteria, size=query.size, after=cursor)
        return [log_json(hit.entry) for hit in found.hits], repo.count(criteria)

    results, total = await context.run(page)
    return web.json_response({"results": results, "total": total})


@api.route(
    "GET",
    "/logs/{executionId}",
    summary="The log lines of an execution",
    query=LogSearchQuery,
    response=list[LogView],
)
async def execution_logs(request: web.Request) -> web.Response:
    """Every line of the execution (``minLevel``, ``taskId``, ``taskRunId`` narrow it)."""
    context = context_of(request)
    criteria = _criteria(parse_query(request, LogSearchQuery), request.match_info["executionId"])
    hits = await context.run(lambda: list(context.repositories.logs.iterate(criteria)))
    return web.json_response([log_json(hit.entry) for hit in hits])


@api.route(
    "GET",
    "/logs/{executionId}/download",
    summary="Download the log lines of an execution as text",
    query=LogSearchQuery,
    content_type="text/plain",
)
async def download_logs(request: web.Request) -> web.Response:
    """One line per log line: time, level, task, message."""
    context = context_of(request)
    execution_id = request.match_info["executionId"]
    criteria = _criteria(parse_query(request, LogSearchQuery), execution_id)
    hits = await context.run(lambda: list(context.repositories.logs.iterate(criteria)))
    lines = [
        f"{hit.entry.timestamp.isoformat()} {hit.entry.level.value} "
        f"{hit.entry.task_id or '-'} {hit.entry.message}"
        for hit in hits
    ]
    name = safe_file_name(execution_id, "execution")
    return web.Response(
        text="\n".join(lines) + ("\n" if lines else ""),
        content_type="text/plain",
        headers={"Content-Disposition": f'attachment; filename="{name}.log"'},
    )
