"""dbt's ``target/run_results.json`` summed up: a log line per node and counts by status."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from orchestrator.plugin import RunContext

_FAILED = ("error", "fail", "runtime error")


def summarize_run_results(ctx: RunContext, project: Path) -> dict[str, Any] | None:
    """Log each node's result and return counts by status (None if dbt wrote none).

    A node that failed or warned is logged at ERROR or WARN: the task log shows what dbt's
    own output may have buried.
    """
    path = project / "target" / "run_results.json"
    if not path.is_file():
        return None
    try:
        results = json.loads(path.read_text()).get("results", [])
    except (OSError, ValueError) as exc:
        ctx.logger.warn(f"cannot read {path}: {exc}")
        return None
    statuses: Counter[str] = Counter()
    for result in results:
        status = str(result.get("status"))
        statuses[status] += 1
        line = f"dbt {result.get('unique_id')}: {status} in {result.get('execution_time', 0):.2f}s"
        message = result.get("message")
        if message:
            line += f" ({message})"
        if status in _FAILED:
            ctx.logger.error(line)
        elif status == "warn":
            ctx.logger.warn(line)
        else:
            ctx.logger.info(line)
    return dict(statuses)


__all__ = ["summarize_run_results"]
