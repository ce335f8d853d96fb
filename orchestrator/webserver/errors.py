"""Errors of the API: every 4xx and 5xx answer is JSON ``{message, details, requestId}``."""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from orchestrator.control import ControlError, InvalidFlowError
from orchestrator.errors import OrchestratorError
from orchestrator.repository import InvalidQueryError, NotFoundError, SearchUnavailableError
from orchestrator.storage.errors import StorageFileNotFoundError, StoragePathError

log = logging.getLogger("kestrel.webserver")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
REQUEST_ID = web.RequestKey("request_id", str)
_SAFE_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


class ApiError(OrchestratorError):
    """An answer other than success, with its HTTP status and details."""

    def __init__(self, status: int, message: str, details: list[dict[str, Any]] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.details = details or []


class ErrorDetail(BaseModel):
    """One detail of an error: a path (an input, a query parameter) or a line and column."""

    model_config = ConfigDict(extra="allow")

    message: str
    path: str | None = None
    line: int | None = None
    column: int | None = None


class ErrorBody(BaseModel):
    """The body of every error answer."""

    message: str
    details: list[ErrorDetail] = Field(default_factory=list)
    request_id: str = Field(alias="requestId")


def not_found(message: str) -> ApiError:
    """A 404 with ``message``."""
    return ApiError(404, message)


def bad_request(message: str, details: list[dict[str, Any]] | None = None) -> ApiError:
    """A 400 with ``message``."""
    return ApiError(400, message, details)


def from_validation(error: ValidationError, where: str) -> ApiError:
    """A 400 naming each invalid field of a query string or a body."""
    details = [
        {
            "path": ".".join(str(part) for part in item["loc"]) or where,
            "message": item["msg"],
        }
        for item in error.errors(include_url=False, include_context=False, include_input=False)
    ]
    first = details[0] if details else {"path": where, "message": "invalid"}
    return ApiError(400, f"invalid {where}: {first['path']}: {first['message']}", details)


def _translate(exc: Exception) -> ApiError | None:
    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, InvalidFlowError):
        details = [
            {
                "message": problem.message,
                "line": problem.line,
                "column": problem.column,
                "path": problem.file,
            }
            for problem in exc.problems
        ]
        return ApiError(422, str(exc), details)
    if isinstance(exc, ControlError):
        return ApiError(exc.status, str(exc))
    if isinstance(exc, InvalidQueryError):
        return ApiError(400, str(exc))
    if isinstance(exc, NotFoundError | StorageFileNotFoundError):
        return ApiError(404, str(exc))
    if isinstance(exc, StoragePathError):
        return ApiError(400, str(exc))
    if isinstance(exc, SearchUnavailableError):
        return ApiError(503, str(exc))
    return None


def error_response(request_id: str, error: ApiError) -> web.Response:
    """The JSON answer of ``error``."""
    body = {"message": error.message, "details": error.details, "requestId": request_id}
    headers = {"X-Request-Id": request_id}
    if error.status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="kestrel"'
    return web.json_response(body, status=error.status, headers=headers)


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Give each request an id; turn every failure into a JSON error, never a traceback."""
    given = request.headers.get("X-Request-Id", "")
    request_id = given if _SAFE_ID.fullmatch(given) else uuid.uuid4().hex
    request[REQUEST_ID] = request_id
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        message = exc.text if exc.text and not exc.text.startswith(str(exc.status)) else exc.reason
        return error_response(request_id, ApiError(exc.status, f"{message}: {request.path}"))
    except Exception as exc:
        translated = _translate(exc)
        if translated is None:
            log.exception("request %s %s failed (id %s)", request.method, request.path, request_id)
            translated = ApiError(500, f"internal error (request id {request_id})")
        elif isinstance(exc, OrchestratorError) and translated.status >= 500:
            log.warning("request %s %s: %s", request.method, request.path, exc)
        return error_response(request_id, translated)
    if not response.prepared:
        response.headers["X-Request-Id"] = request_id
    return response
