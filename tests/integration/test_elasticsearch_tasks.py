"""Kestra's Elasticsearch tasks in-process against the embedded Elasticsearch-API server."""

from __future__ import annotations

import json
import socket
import uuid
from pathlib import Path
from typing import Any

import pytest
from plugin_context import run_task

from orchestrator.backends import Backends
from orchestrator.storage import LocalStorage
from plugins.elasticsearch import ElasticsearchTaskError

pytestmark = pytest.mark.integration
E = "io.kestra.plugin.elasticsearch."


@pytest.fixture
def index() -> str:
    return f"kestrel-es-tasks-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def connection(backends: Backends) -> dict[str, Any]:
    return {"hosts": [backends.elasticsearch_url]}


def run(definition: dict[str, Any], tmp_path: Path, connection: dict[str, Any]) -> dict[str, Any]:
    return run_task({"connection": connection, **definition}, tmp_path)


def stored(tmp_path: Path, name: str, data: bytes) -> str:
    return LocalStorage(tmp_path / "storage").put(f"company/{name}", data)


def test_put_get_search_request(tmp_path: Path, connection: dict[str, Any], index: str) -> None:
    put = run(
        {
            "type": E + "Put",
            "index": index,
            "key": "1",
            "value": {"name": "apple", "n": 1},
            "refreshPolicy": "IMMEDIATE",
        },
        tmp_path,
        connection,
    )
    assert put["id"] == "1" and put["result"] == "created"
    run(
        {
            "type": E + "Put",
            "index": index,
            "key": "2",
            "value": '{"name": "pear", "n": 2}',
            "refreshPolicy": "IMMEDIATE",
        },
        tmp_path,
        connection,
    )
    got = run({"type": E + "Get", "index": index, "key": "1"}, tmp_path, connection)
    assert got == {"row": {"name": "apple", "n": 1}}
    assert run({"type": E + "Get", "index": index, "key": "9"}, tmp_path, connection) == {}
    with pytest.raises(ElasticsearchTaskError, match="no document 9"):
        run(
            {"type": E + "Get", "index": index, "key": "9", "errorOnMissing": True},
            tmp_path,
            connection,
        )
    request = {"query": {"range": {"n": {"gte": 2}}}}
    found = run(
        {"type": E + "Search", "indexes": [index], "request": request}, tmp_path, connection
    )
    assert found["rows"] == [{"name": "pear", "n": 2}] and found["total"] == 1
    one = run(
        {
            "type": E + "Search",
            "indexes": [index],
            "fetchType": "FETCH_ONE",
            "request": {"query": {"match_all": {}}, "sort": [{"n": "desc"}]},
        },
        tmp_path,
        connection,
    )
    assert one["row"] == {"name": "pear", "n": 2} and "rows" not in one
    kept = run(
        {
            "type": E + "Search",
            "indexes": [index],
            "fetchType": "STORE",
            "request": json.dumps({"query": {"match_all": {}}}),
        },
        tmp_path,
        connection,
    )
    assert kept["size"] == 2
    assert len(LocalStorage(tmp_path / "storage").get(kept["uri"]).splitlines()) == 2
    counted = run({"type": E + "Request", "endpoint": f"{index}/_count"}, tmp_path, connection)
    assert counted["status"] == 200 and counted["response"]["count"] == 2
    updated = run(
        {
            "type": E + "Put",
            "index": index,
            "key": "1",
            "opType": "UPDATE",
            "value": {"n": 10},
            "refreshPolicy": "IMMEDIATE",
        },
        tmp_path,
        connection,
    )
    assert updated["result"] == "updated"
    got = run({"type": E + "Get", "index": index, "key": "1"}, tmp_path, connection)
    assert got["row"] == {"name": "apple", "n": 10}


def test_load_an_ion_file_then_scroll_it_back(
    tmp_path: Path, connection: dict[str, Any], index: str
) -> None:
    rows = b"".join(b'{"id":"p%d","n":%d}\n' % (n, n) for n in range(25))
    loaded = run(
        {
            "type": E + "Load",
            "index": index,
            "from": stored(tmp_path, "rows.ion", rows),
            "idKey": "id",
            "chunk": 10,
        },
        tmp_path,
        connection,
    )
    assert loaded == {"size": 25}
    run(
        {"type": E + "Request", "method": "POST", "endpoint": f"/{index}/_refresh"},
        tmp_path,
        connection,
    )
    got = run({"type": E + "Get", "index": index, "key": "p7"}, tmp_path, connection)
    assert got == {"row": {"n": 7}}
    scrolled = run(
        {
            "type": E + "Scroll",
            "indexes": [index],
            "request": {"size": 4, "query": {"match_all": {}}},
        },
        tmp_path,
        connection,
    )
    assert scrolled["size"] == 25
    lines = LocalStorage(tmp_path / "storage").get(scrolled["uri"]).decode().splitlines()
    assert sorted(json.loads(line)["n"] for line in lines) == list(range(25))


def test_bulk_sends_actions_in_chunks_and_fails_on_refused_documents(
    tmp_path: Path, connection: dict[str, Any], index: str
) -> None:
    body = (
        "".join(
            json.dumps({"index": {"_index": index, "_id": str(n)}})
            + "\n"
            + json.dumps({"n": n})
            + "\n"
            for n in range(5)
        )
        + json.dumps({"delete": {"_index": index, "_id": "4"}})
        + "\n"
    )
    sent = run(
        {"type": E + "Bulk", "from": stored(tmp_path, "bulk.json", body.encode()), "chunk": 2},
        tmp_path,
        connection,
    )
    assert sent == {"size": 6}
    run(
        {"type": E + "Request", "method": "POST", "endpoint": f"{index}/_refresh"},
        tmp_path,
        connection,
    )
    counted = run({"type": E + "Request", "endpoint": f"{index}/_count"}, tmp_path, connection)
    assert counted["response"]["count"] == 4
    twice = (json.dumps({"create": {"_index": index, "_id": "1"}}) + '\n{"n": 1}\n').encode()
    with pytest.raises(ElasticsearchTaskError, match=r"task 't' .*refused 1 document"):
        run(
            {"type": E + "Bulk", "from": stored(tmp_path, "again.json", twice)},
            tmp_path,
            connection,
        )


def test_failures_name_the_task_and_the_server_and_hide_the_password(
    tmp_path: Path, connection: dict[str, Any], index: str, backends: Backends
) -> None:
    with pytest.raises(ElasticsearchTaskError, match=rf"task 't' .*no index {index}"):
        run({"type": E + "Get", "index": index, "key": "1"}, tmp_path, connection)
    with pytest.raises(ElasticsearchTaskError, match=r"HTTP 4\d\d"):
        run(
            {"type": E + "Search", "indexes": [index], "request": {"query": {"nope": {}}}},
            tmp_path,
            connection,
        )
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    down = {
        "hosts": [f"http://user:s3cret@127.0.0.1:{port}"],
        "basicAuth": {"username": "u", "password": "hunter22"},
    }
    with pytest.raises(ElasticsearchTaskError) as caught:
        run({"type": E + "Search", "request": {}}, tmp_path, down)
    message = str(caught.value)
    assert f"cannot reach Elasticsearch at http://user:********@127.0.0.1:{port}" in message
    assert "s3cret" not in message and "hunter22" not in message
    assert caught.value.retryable is True
