"""Explicit mappings of Kestrel's indices, written as real Elasticsearch requires.

Rules: ids, namespaces, flow ids and states are ``keyword``; labels are ``nested`` key/value
keyword pairs (queried with ``nested`` queries); dates are ``date`` with an ``@timestamp`` for
Kibana; durations are ``long`` milliseconds; free-form values (inputs, outputs, variables, task
definitions) are ``object`` with ``enabled: false``: kept in ``_source``, never indexed, so a
user's output can never break a mapping. Every index has ``dynamic: false``: a field the
mapping does not name is stored but not indexed.
"""

from __future__ import annotations

from typing import Any

from orchestrator.models.state import StateType
from orchestrator.repository.indices import IndexKind, IndexNames

MAPPING_VERSION = 2
"""Bumped when a mapping changes; recorded in ``_meta`` (new mappings apply on rebuild)."""

TEMPLATE_PRIORITY = 200
"""Above Elasticsearch's built-in templates (``logs-*-*`` has 100)."""

_KEYWORD: dict[str, Any] = {"type": "keyword"}
_DATE: dict[str, Any] = {"type": "date"}
_LONG: dict[str, Any] = {"type": "long"}
_INTEGER: dict[str, Any] = {"type": "integer"}
_BOOLEAN: dict[str, Any] = {"type": "boolean"}
_TEXT: dict[str, Any] = {"type": "text"}
_STORED_ONLY: dict[str, Any] = {"type": "object", "enabled": False}
_LABELS: dict[str, Any] = {"type": "nested", "properties": {"key": _KEYWORD, "value": _KEYWORD}}
_STATE: dict[str, Any] = {"properties": {"current": _KEYWORD, "histories": _STORED_ONLY}}

_COMMON: dict[str, Any] = {
    "@timestamp": _DATE,
    "type": _KEYWORD,
    "version": _INTEGER,
    "namespace": _KEYWORD,
    "flowId": _KEYWORD,
    "flowKey": _KEYWORD,
}

_EXECUTION: dict[str, Any] = {
    **_COMMON,
    "id": _KEYWORD,
    "flowRevision": _INTEGER,
    "seq": _LONG,
    "state": _STATE,
    "startDate": _DATE,
    "endDate": _DATE,
    "durationMs": _LONG,
    "labels": _LABELS,
    "taskRunList": _STORED_ONLY,
    "inputs": _STORED_ONLY,
    "outputs": _STORED_ONLY,
    "variables": _STORED_ONLY,
    "timers": _STORED_ONLY,
    "trigger": {"properties": {"id": _KEYWORD, "type": _KEYWORD, "variables": _STORED_ONLY}},
    "parent": {
        "properties": {
            "executionId": _KEYWORD,
            "taskRunId": _KEYWORD,
            "namespace": _KEYWORD,
            "flowId": _KEYWORD,
            "flowRevision": _INTEGER,
        }
    },
    "parentId": _KEYWORD,
    "originalId": _KEYWORD,
    "scheduleDate": _DATE,
    "metadata": {"properties": {"attemptNumber": _INTEGER, "originalCreatedDate": _DATE}},
    "deleted": _BOOLEAN,
}

_TASKRUN: dict[str, Any] = {
    **_COMMON,
    "id": _KEYWORD,
    "executionId": _KEYWORD,
    "flowRevision": _INTEGER,
    "seq": _LONG,
    "position": _INTEGER,
    "taskId": _KEYWORD,
    "parentTaskRunId": _KEYWORD,
    "value": _KEYWORD,
    "iteration": _INTEGER,
    "state": _STATE,
    "attemptCount": _INTEGER,
    "attempts": _STORED_ONLY,
    "workerId": _KEYWORD,
    "startDate": _DATE,
    "endDate": _DATE,
    "durationMs": _LONG,
    "error": _TEXT,
    "outputs": _STORED_ONLY,
    "loopValues": _STORED_ONLY,
}

_EXECUTION_SUMMARY: dict[str, Any] = {
    **_COMMON,
    "id": _KEYWORD,
    "flowRevision": _INTEGER,
    "seq": _LONG,
    "state": {"properties": {"current": _KEYWORD}},
    "startDate": _DATE,
    "endDate": _DATE,
    "durationMs": _LONG,
    "labels": _LABELS,
    "trigger": {"properties": {"id": _KEYWORD}},
    "parentId": _KEYWORD,
    "deleted": _BOOLEAN,
}

_EXECUTION_STATS: dict[str, Any] = {
    **_COMMON,
    "day": _DATE,
    "total": _LONG,
    "states": {"properties": {state.value: _LONG for state in StateType}},
    "durationCount": _LONG,
    "durationSumMs": _LONG,
    "durationMinMs": _LONG,
    "durationMaxMs": _LONG,
    "latest": _STORED_ONLY,
}

_FLOW: dict[str, Any] = {
    **_COMMON,
    "id": _KEYWORD,
    "revision": _INTEGER,
    "description": _TEXT,
    "labels": _LABELS,
    "source": _TEXT,
    "flow": _STORED_ONLY,
    "deleted": _BOOLEAN,
    "updated": _DATE,
}

_TRIGGER: dict[str, Any] = {
    **_COMMON,
    "triggerId": _KEYWORD,
    "flowRevision": _INTEGER,
    "nextDate": _DATE,
    "lastDate": _DATE,
    "executionId": _KEYWORD,
    "backfillUntil": _DATE,
    "disabled": _BOOLEAN,
    "updated": _DATE,
    "triggerType": _KEYWORD,
    "lastExecutionId": _KEYWORD,
    "fired": _INTEGER,
}

_LOG: dict[str, Any] = {
    **_COMMON,
    "id": _KEYWORD,
    "executionId": _KEYWORD,
    "taskId": _KEYWORD,
    "taskRunId": _KEYWORD,
    "attempt": _INTEGER,
    "level": _KEYWORD,
    "message": _TEXT,
    "timestamp": _DATE,
    "source": _KEYWORD,
    "partition": _INTEGER,
    "offset": _LONG,
}

_METRIC: dict[str, Any] = {
    **_COMMON,
    "id": _KEYWORD,
    "executionId": _KEYWORD,
    "taskId": _KEYWORD,
    "taskRunId": _KEYWORD,
    "name": _KEYWORD,
    "metricType": _KEYWORD,
    "value": {"type": "double"},
    "tags": _STORED_ONLY,
    "timestamp": _DATE,
    "partition": _INTEGER,
    "offset": _LONG,
}

PROPERTIES: dict[IndexKind, dict[str, Any]] = {
    IndexKind.FLOWS: _FLOW,
    IndexKind.FLOW_REVISIONS: _FLOW,
    IndexKind.EXECUTIONS: _EXECUTION,
    IndexKind.TASKRUNS: _TASKRUN,
    IndexKind.TRIGGERS: _TRIGGER,
    IndexKind.LOGS: _LOG,
    IndexKind.METRICS: _METRIC,
    IndexKind.EXECUTION_SUMMARIES: _EXECUTION_SUMMARY,
    IndexKind.EXECUTION_STATS: _EXECUTION_STATS,
}
"""Mapped fields of each kind."""


def mappings(kind: IndexKind) -> dict[str, Any]:
    """The ``mappings`` of an index of ``kind``."""
    return {
        "dynamic": False,
        "_meta": {"managed_by": "kestrel", "kind": str(kind), "version": MAPPING_VERSION},
        "properties": PROPERTIES[kind],
    }


def index_template(names: IndexNames, kind: IndexKind) -> dict[str, Any]:
    """Keyword arguments of ``indices.put_index_template`` for ``kind``.

    One primary shard: Kestrel's indices are small per day and per install; raise it by
    editing the template before a rebuild when an install outgrows it.
    """
    return {
        "name": names.template(kind),
        "index_patterns": [names.pattern(kind)],
        "priority": TEMPLATE_PRIORITY,
        "template": {
            "settings": {"number_of_shards": 1},
            "mappings": mappings(kind),
        },
        "meta": {"managed_by": "kestrel", "version": MAPPING_VERSION},
    }
