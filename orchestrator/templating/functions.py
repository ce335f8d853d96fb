"""Functions templates may call, and the helpers translated Pebble operators call.

Per-render state (revealed secrets, the loop budget, the ``render()`` depth) lives in a
context variable rather than in the template context, so templates cannot read or forge it
and concurrent renders in threads or tasks never share it.
"""

from __future__ import annotations

import json
import math
import random
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from jinja2 import Undefined, pass_context
from jinja2.runtime import Context

from orchestrator.templating import dates
from orchestrator.templating.errors import TemplateError
from orchestrator.templating.storage_functions import kv, read
from orchestrator.templating.values import (
    Box,
    Entry,
    fail_undefined,
    propagate_undefined,
    to_output,
)

#: Context key under which callers put the error logs ``errorLogs()`` returns: a list of
#: log dicts (``taskId``, ``message``...) or a no-argument callable that fetches them.
ERROR_LOGS_KEY = "_kestrel_error_logs"
MAX_ITERATIONS = 1_000_000
MAX_RANGE = 100_000
_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


@dataclass
class RenderState:
    """What one top-level render accumulates, shared by nested ``render()`` calls."""

    used_secrets: set[str] | None = None
    iterations: int = 0
    depth: int = 0


STATE: ContextVar[RenderState | None] = ContextVar("kestrel_template_state", default=None)


def _count(items: Iterable[Any]) -> Iterator[Any]:
    state = STATE.get()
    for item in items:
        if state is not None:
            state.iterations += 1
            if state.iterations > MAX_ITERATIONS:
                raise TemplateError(f"template loops ran more than {MAX_ITERATIONS} times")
        yield item


def k_iter(value: Any) -> Iterator[Any]:
    """Iterate as Pebble's ``for`` does: maps yield entries, null yields nothing."""
    if isinstance(value, Undefined):
        fail_undefined(value)
    if value is None:
        return iter(())
    if isinstance(value, Mapping):
        return _count(Entry(key, item) for key, item in value.items())
    return _count(value)


@propagate_undefined
def k_concat(*parts: Any) -> str:
    """Pebble's ``~``: print each side as ``{{ }}`` would and join."""
    return "".join(to_output(part) for part in parts)


def k_range(start: Any, end: Any, step: Any = 1) -> list[int]:
    """Pebble's ``..`` and ``range()``: an inclusive, bounded range of integers."""
    start, end, step = int(start), int(end), int(step)
    if step == 0:
        raise TemplateError("range() step must not be zero")
    count = max((end - start) // step + 1, 0)
    if count > MAX_RANGE:
        raise TemplateError(f"range of {count} items is more than the limit of {MAX_RANGE}")
    return list(range(start, end + (1 if step > 0 else -1), step))


@propagate_undefined
def k_contains(container: Any, item: Any) -> bool:
    """Pebble's ``contains``: keys of maps, substrings, elements, or all of a list."""
    if container is None:
        return False
    if isinstance(container, str):
        return to_output(item) in container
    if isinstance(container, Mapping):
        return item in container
    if isinstance(item, list | tuple | set):
        return all(element in container for element in item)
    return item in container


def k_div(left: Any, right: Any) -> Any:
    """Pebble's ``/``: integers divide as Java longs do (truncating), others as floats."""
    if _is_int(left) and _is_int(right):
        quotient = abs(left) // abs(right)
        return quotient if (left < 0) == (right < 0) else -quotient
    return left / right


def k_mod(left: Any, right: Any) -> Any:
    """Pebble's ``%``: the remainder takes the sign of the dividend, as in Java."""
    if _is_int(left) and _is_int(right):
        remainder = abs(left) % abs(right)
        return -remainder if left < 0 else remainder
    return math.fmod(left, right)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def k_box(value: Any) -> Box:
    """Wrap the right side of ``??``."""
    return Box(value)


def k_present(value: Any) -> Box | None:
    """Left side of ``??``: boxed unless undefined or null."""
    return None if value is None or isinstance(value, Undefined) else Box(value)


def k_defined(value: Any) -> Box | None:
    """Left side of ``???``: boxed unless undefined."""
    return None if isinstance(value, Undefined) else Box(value)


def k_unbox(box: Box) -> Any:
    """Unwrap the result of ``??``."""
    return box.value


def now(
    format: str = "iso",
    timeZone: str | None = None,  # noqa: N803 - Kestra's argument name
    existingFormat: str | None = None,  # noqa: N803
    locale: str | None = None,
) -> str:
    """Return the current time, formatted (``iso`` with the zone offset by default)."""
    zone = dates.zone(timeZone)
    return dates.format_date(datetime.now(zone), format, zone)


@propagate_undefined
def from_json(text: Any) -> Any:
    """Parse a JSON string (``fromJson()``, ``json()``); other values pass through."""
    if not isinstance(text, str | bytes):
        return text
    try:
        return json.loads(text)
    except ValueError as exc:
        raise TemplateError(f"invalid JSON {text!r}: {exc}") from exc


def pebble_max(*values: Any) -> Any:
    """Largest of the arguments, or of a single list argument."""
    items = values[0] if len(values) == 1 and isinstance(values[0], list | tuple) else values
    return max(items)


def pebble_min(*values: Any) -> Any:
    """Smallest of the arguments, or of a single list argument."""
    items = values[0] if len(values) == 1 and isinstance(values[0], list | tuple) else values
    return min(items)


def new_uuid() -> str:
    """A random UUID."""
    return str(uuid.uuid4())


def new_id() -> str:
    """A short random id (22 base-62 characters), as Kestra's ``id()`` returns."""
    number = uuid.uuid4().int
    chars = []
    while number:
        number, digit = divmod(number, 62)
        chars.append(_BASE62[digit])
    return "".join(reversed(chars)).rjust(22, "0")


def random_int(lower: int, upper: int) -> int:
    """A random integer with ``lower <= n < upper``."""
    return random.randrange(int(lower), int(upper))


@pass_context
def current_each_output(context: Context, outputs: Any) -> Any:
    """The output of a task for the current loop iteration.

    ``outputs`` is a task's outputs keyed by loop values (``{v11: {v21: {...}}}``). The
    walk goes from the outermost ``parents`` value down to ``taskrun.value``, taking each
    level whose key exists.
    """
    if isinstance(outputs, Undefined):
        return outputs
    if not isinstance(outputs, Mapping):
        raise TemplateError("currentEachOutput() expects the outputs of a task, a map")
    parents = context.get("parents")
    values = []
    for parent in reversed(parents if isinstance(parents, list | tuple) else []):
        taskrun = parent.get("taskrun") if isinstance(parent, Mapping) else None
        if isinstance(taskrun, Mapping) and taskrun.get("value") is not None:
            values.append(taskrun["value"])
    taskrun = context.get("taskrun")
    if isinstance(taskrun, Mapping) and taskrun.get("value") is not None:
        values.append(taskrun["value"])
    node: Any = outputs
    for value in values:
        if not isinstance(node, Mapping):
            break
        for key in (value, to_output(value)):
            if node.get(key) is not None:
                node = node[key]
                break
    return node


@pass_context
def error_logs(context: Context) -> Any:
    """The execution's error logs, as the caller supplied them under ``ERROR_LOGS_KEY``."""
    supplied = context.get(ERROR_LOGS_KEY)
    if supplied is None:
        raise TemplateError("errorLogs() is only available while running an error task")
    logs = supplied() if callable(supplied) else supplied
    return list(logs)


def base_globals() -> dict[str, Callable[..., Any]]:
    """The functions and helpers every renderer exposes (``secret``/``render`` excluded)."""
    return {
        "now": now,
        "fromJson": from_json,
        "json": from_json,
        "range": k_range,
        "max": pebble_max,
        "min": pebble_min,
        "uuid": new_uuid,
        "id": new_id,
        "randomInt": random_int,
        "currentEachOutput": current_each_output,
        "errorLogs": error_logs,
        "read": read,
        "kv": kv,
        "_k_iter": k_iter,
        "_k_concat": k_concat,
        "_k_range": k_range,
        "_k_contains": k_contains,
        "_k_div": k_div,
        "_k_mod": k_mod,
        "_k_box": k_box,
        "_k_present": k_present,
        "_k_defined": k_defined,
        "_k_unbox": k_unbox,
    }
