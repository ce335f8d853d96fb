"""REST API figures: requests/s and p50/p99 latency of execution creation and search.

Starts the backends and the API (no executor: creation is measured up to the Create
command acknowledged by Kafka), bulk-loads execution documents straight into
Elasticsearch (100,000 by default), then drives both endpoints with concurrent clients,
and also times the same search sent to Elasticsearch directly, to tell the API's share
from the backend's. Authentication is on (basic, sent on every request). It prints
figures; it asserts nothing.

The embedded Elasticsearch (noida-db) scans every document per search: at 10,000
documents one search takes seconds and its memory grows by gigabytes, so the 100,000
figure needs a real Elasticsearch (``KESTREL_ELASTICSEARCH_URL``); with the embedded one,
pass ``--documents 2000`` or so.

    .venv/bin/python bench/api.py [--documents 100000] [--requests 2000]
        [--search-requests 200] [--concurrency 16]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import random
import statistics
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
from elasticsearch import helpers

from orchestrator.backends import resolve_backends
from orchestrator.kafka import ensure_topics
from orchestrator.models.execution import Execution
from orchestrator.models.labels import Label
from orchestrator.models.state import State, StateHistory, StateType
from orchestrator.repository.admin import ensure_indices, make_client, names_for
from orchestrator.repository.documents import execution_document
from orchestrator.repository.indices import IndexKind
from orchestrator.settings import load_settings
from orchestrator.webserver.app import WebserverService
from orchestrator.webserver.auth import hash_secret
from orchestrator.webserver.settings import ApiUser, AuthSettings

FLOW = """id: bench
namespace: kestrel.bench
inputs:
  - id: n
    type: INT
tasks:
  - id: log
    type: io.kestra.plugin.core.log.Log
    message: "{{ inputs.n }}"
"""
STATES = [StateType.SUCCESS, StateType.FAILED, StateType.RUNNING, StateType.KILLED]


def documents(count: int) -> list[dict[str, object]]:
    start = datetime.now(UTC) - timedelta(days=30)
    docs = []
    for index in range(count):
        begin = start + timedelta(seconds=index * 25)
        state = STATES[index % len(STATES)]
        execution = Execution(
            id=uuid.uuid4().hex[:22],
            namespace=f"kestrel.bench.team{index % 10}",
            flow_id=f"flow{index % 50}",
            flow_revision=1,
            state=State(
                current=state,
                histories=(
                    StateHistory(state=StateType.CREATED, date=begin),
                    StateHistory(state=state, date=begin + timedelta(seconds=index % 90)),
                ),
            ),
            labels=(Label(key="team", value=f"t{index % 7}"),),
            inputs={"n": index},
        )
        docs.append(execution_document(execution))
    return docs


def seed(settings: object, count: int) -> float:
    client = make_client(settings)  # type: ignore[arg-type]
    names = names_for(settings)  # type: ignore[arg-type]
    ensure_indices(client, names)
    alias = names.alias(IndexKind.EXECUTIONS)
    began = time.perf_counter()
    actions = ({"_index": alias, "_id": doc["id"], "_source": doc} for doc in documents(count))
    helpers.bulk(client, actions, chunk_size=2000, request_timeout=120)
    client.indices.refresh(index=alias)
    client.close()
    return time.perf_counter() - began


async def drive(
    base: str, auth: dict[str, str], make_request: object, total: int, concurrency: int
) -> tuple[float, list[float], int]:
    latencies: list[float] = []
    errors = 0
    queue: asyncio.Queue[int] = asyncio.Queue()
    for number in range(total):
        queue.put_nowait(number)

    async def worker(session: aiohttp.ClientSession) -> None:
        nonlocal errors
        while not queue.empty():
            number = queue.get_nowait()
            began = time.perf_counter()
            async with make_request(session, base, number) as response:  # type: ignore[operator]
                await response.read()
                if response.status >= 400:
                    errors += 1
            latencies.append(time.perf_counter() - began)

    async with aiohttp.ClientSession(headers=auth) as session:
        began = time.perf_counter()
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
        elapsed = time.perf_counter() - began
    return elapsed, latencies, errors


def create(session: aiohttp.ClientSession, base: str, number: int) -> object:
    return session.post(f"{base}/api/v1/main/executions/kestrel.bench/bench", json={"n": number})


def search(session: aiohttp.ClientSession, base: str, number: int) -> object:
    rng = random.Random(number)
    params = [("namespace", f"kestrel.bench.team{rng.randrange(10)}"), ("size", "25")]
    if number % 2:
        params.append(("state", STATES[rng.randrange(len(STATES))].value))
    if number % 3 == 0:
        params.append(("labels", f"team:t{rng.randrange(7)}"))
    params.append(("page", str(1 + rng.randrange(5))))
    return session.get(f"{base}/api/v1/main/executions/search", params=params)


def search_directly(settings: object, number: int) -> float:
    """Milliseconds of one search like ``search`` sent straight to Elasticsearch."""
    from orchestrator.repository import ExecutionFilter, Repositories
    from orchestrator.webserver.search import search_executions

    rng = random.Random(number)
    criteria = ExecutionFilter(namespace=f"kestrel.bench.team{rng.randrange(10)}")
    with Repositories.from_settings(settings) as repositories:  # type: ignore[arg-type]
        began = time.perf_counter()
        search_executions(repositories, criteria, 1 + rng.randrange(5), 25, [])
        return (time.perf_counter() - began) * 1000


def report(name: str, elapsed: float, latencies: list[float], errors: int) -> None:
    ordered = sorted(latencies)
    p50 = statistics.median(ordered) * 1000
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000
    print(
        f"{name:<20} {len(ordered) / elapsed:8.0f} req/s   p50 {p50:7.1f} ms   "
        f"p99 {p99:7.1f} ms   errors {errors}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--documents", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--search-requests", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=16)
    options = parser.parse_args()
    with (
        tempfile.TemporaryDirectory() as work,
        resolve_backends(Path(work) / "backends") as backends,
    ):
        settings = load_settings(
            kafka={"bootstrap": backends.kafka_bootstrap, "topic_prefix": "bench.api."},
            elasticsearch={"url": backends.elasticsearch_url, "index_prefix": "bench-api-"},
            storage={"base_dir": Path(work) / "storage"},
        )
        auth = AuthSettings(users=(ApiUser(username="bench", password_hash=hash_secret("pw")),))
        settings = settings.model_copy(
            update={"webserver": settings.webserver.model_copy(update={"port": 0, "auth": auth})}
        )
        ensure_topics(settings)
        seconds = seed(settings, options.documents)
        print(f"backend: {backends.elasticsearch_url}")
        print(f"seeded {options.documents} execution documents in {seconds:.1f} s")
        service = WebserverService(settings)
        thread = threading.Thread(target=service.run, daemon=True)
        thread.start()
        service.ready.wait(120)
        basic = {"Authorization": "Basic " + base64.b64encode(b"bench:pw").decode()}

        async def scenario() -> None:
            async with aiohttp.ClientSession(headers=basic) as session:
                deployed = await session.post(
                    f"{service.url}/api/v1/main/flows",
                    data=FLOW,
                    headers={"Content-Type": "application/x-yaml"},
                )
                assert deployed.status == 200, await deployed.text()
            await drive(service.url, basic, search, 4, 2)  # warm-up
            report(
                "execution creation",
                *await drive(service.url, basic, create, options.requests, options.concurrency),
            )
            report(
                "execution search",
                *await drive(
                    service.url, basic, search, options.search_requests, options.concurrency
                ),
            )
            direct = [search_directly(settings, number) for number in range(20)]
            print(f"the same search on Elasticsearch alone: p50 {statistics.median(direct):.1f} ms")

        asyncio.run(scenario())
        service.stop()
        thread.join(timeout=30)


if __name__ == "__main__":
    main()
