"""The web UI's queries at scale: the executions list and the dashboard with 100,000
executions indexed, through the REST API (the calls the UI's pages make).

Produces N finished executions (spread over 30 days, 40 flows in 4 namespaces, one in ten
failed, three task runs each) to Kafka, runs the indexer until all are searchable, then
serves the API in this process and times each page's requests (median and max of a few
rounds, wall-clock, from the client). Prints figures; asserts nothing.

The list and the dashboard read the daily execution summaries and the per-day statistics
(``orchestrator/repository/summaries.py``). Earlier figures (loaded 2-core machine, old code
against new on the same data): at 11,000 executions the list took 3.9-5.7 s and the
dashboard 8.8 s before, 41-219 ms and 161 ms after; at 70,000 the first page 39 s -> 149 ms,
the dashboard 17.5 s -> 136 ms. The embedded server then needed 8 GB at 70,000 and stalled.

Why, measured on the embedded server (noida-db 0.2.3, one process for Kafka and
Elasticsearch): it holds every document in memory at about 25 times its JSON size (20,000
executions loaded from disk: an execution document 57 KB, a task-run document 17.6 KB, a
summary 8 KB); the first search of an index builds more per document and keeps it (+85 KB
per execution document); every write saves the whole store again (0.8 s of CPU per 100 MB
of ``elasticsearch.json``); and a search reads every document of the indices it names. So
what the indexer writes per execution and how often it re-reads sets the ceiling. Fixed:
task-run documents of executions that never went long are slim (their execution document
holds the attempts, histories and outputs; 17.6 -> 7.6 KB of memory each, 836 -> 427 bytes
of JSON); while catching up the day statistics (a read of every summary of the touched
days: 40 s at 85,000 over 30 days) are computed no more than a quarter of the time; this
benchmark waits on the indexer's own counters instead of counting every summary twice a
second.

100,000 executions, 2026-12-07, on the shared 2-core machine: produced in 13 s, indexed and
searchable in 932 s (a load average of 5-12 from other work; two 30 s time-outs of the
server near the end, retried), and in 548 s with day statistics at most a quarter of the
time (load 5-6, no time-out). The server: 10.2 GB resident after indexing, 8.8 GB after
loading its files again, 10.3 GB after the queries; ``elasticsearch.json`` 406 MB (4.1 KB
per execution). Right after indexing, the first request of each kind took 0.1-7 s (one
round, load 5: the server builds its structures of an index at its first search). Medians
of 3 through the API after loading the files again, quiet machine (load < 1):

    list, page 1 / page 200 (all time)           253 / 151 ms
    FAILED / one flow / one namespace / 24 h     152 / 163 / 214 / 121 ms
    UI list, last 7 days (its default): page 1 / page 200 / free text / a label / FAILED
                                                 292 / 331 / 416 / 405 / 345 ms
                       (one search of the 7 days: 399 / 392 / 581 / 337 / 374 ms)
    dashboard, 7 / 30 days (one request)         130 / 152 ms
    daily stats 7 / 30 days, failing flows, per-flow daily, summary
                                                 60 / 91, 94, 112, 47 ms

Before this work, the same data, old code (medians of 2, machine partly loaded): dashboard
596 ms / 2.2 s (7 / 30 days), daily stats 1.7 s / 8.8 s, failing flows 12.1 s, per-flow
daily 6.3 s, summary 2.7 s. A range sorted newest first is now read from its last day
first (the figures in brackets: one search of all its days, the same quiet machine; a label
matching nothing pays the extra search). Still reading every summary, so seconds at 100,000 on this
server: free text and labels over all time (2.1 s, 3.8 s) and a search whose matches are
fewer than a page over all time (``state=RUNNING``: 3.9 s); the UI sends them with its
7-day range.

    python bench/ui_queries.py [--executions 100000] [--rounds 5]

``BENCH_DIR=dir`` keeps the embedded backends' data there instead of a temporary directory;
with ``--run-id x`` the first run indexes, and ``--run-id x --skip-index`` measures again.
"""

# ruff: noqa: E402  (the path fix below must run before the imports)

from __future__ import annotations

import sys
from pathlib import Path

# `python bench/ui_queries.py` puts bench/ first on sys.path, where bench/indexer.py would
# shadow the `indexer` package.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != _HERE]

import argparse
import asyncio
import logging
import os
import statistics
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta

from aiohttp import ClientSession, web

from indexer.service import Indexer
from orchestrator.backends import Backends, resolve_backends
from orchestrator.kafka import TOPICS, KafkaProducer, ensure_topics
from orchestrator.models import Execution, State, StateType, TaskRun, TaskRunAttempt
from orchestrator.repository import ExecutionFilter, Repositories
from orchestrator.repository.errors import SearchUnavailableError
from orchestrator.settings import KestrelSettings, load_settings
from orchestrator.webserver.app import build_context, create_app

TASKS = ("extract", "transform", "load")
NAMESPACES = ("bench.sales", "bench.ops", "bench.data", "bench.web")


def finished(n: int, now: datetime) -> Execution:
    """Execution ``n``: started within the last 30 days, three task runs, ended."""
    execution_id = f"ui-bench-{n}"
    namespace = NAMESPACES[n % len(NAMESPACES)]
    flow_id = f"flow-{n % 40}"
    started = now - timedelta(seconds=(n * 7919) % (30 * 86400))
    final = StateType.FAILED if n % 10 == 0 else StateType.SUCCESS
    runs = []
    for i, task in enumerate(TASKS):
        at = started + timedelta(seconds=i)
        run_state = State.of(StateType.RUNNING, at).with_state(
            final if i == len(TASKS) - 1 else StateType.SUCCESS, at + timedelta(milliseconds=900)
        )
        runs.append(
            TaskRun(
                id=f"{execution_id}-{task}",
                execution_id=execution_id,
                namespace=namespace,
                flow_id=flow_id,
                task_id=task,
                attempts=(TaskRunAttempt(state=run_state, worker_id="w1"),),
                state=run_state,
            )
        )
    state = State.of(StateType.CREATED, started).with_state(StateType.RUNNING, started)
    state = state.with_state(final, started + timedelta(seconds=len(TASKS)))
    return Execution(
        id=execution_id,
        namespace=namespace,
        flow_id=flow_id,
        flow_revision=1,
        seq=1,
        state=state,
        task_run_list=tuple(runs),
        inputs={"day": started.date().isoformat()},
    )


def searchable(repos: Repositories) -> int:
    """How many executions are searchable (0 while a busy server times out)."""
    try:
        return repos.executions.count()
    except SearchUnavailableError as exc:
        print(f"  count failed ({exc}); trying again", flush=True)
        return 0


def index(settings: KestrelSettings, count: int, produce: bool = True) -> None:
    """Produce ``count`` executions and index them; prints how long each step took."""
    now = datetime.now(UTC)
    started = time.monotonic()
    if produce:
        with KafkaProducer(settings) as producer:
            for n in range(count):
                producer.send(TOPICS.executions, f"ui-bench-{n}", finished(n, now))
            producer.flush(120)
        print(f"produced {count} executions in {time.monotonic() - started:.1f} s")
    indexer = Indexer(settings)
    thread = threading.Thread(target=indexer.run)
    thread.start()
    started = time.monotonic()
    try:
        with Repositories.from_settings(settings) as repos:
            # Counting reads every summary on the embedded server: count only once the indexer
            # has read every record, and seldom, so that the wait does not slow what it waits on.
            while indexer.stats.records < count or searchable(repos) < count:
                time.sleep(5)  # waiting on the indexer; a benchmark, not a test
                print(
                    f"  {indexer.stats.records} read, {indexer.stats.written} documents written"
                    f" after {time.monotonic() - started:.0f} s",
                    flush=True,
                )
    finally:  # Ctrl-C included: the indexer's thread must end for the process to end
        indexer.stop()
        thread.join()
    with Repositories.from_settings(settings) as repos:  # the last day statistics, visible
        repos.client.indices.refresh(index=f"{repos.names.prefix}*")
    print(f"indexed and searchable in {time.monotonic() - started:.1f} s")


QUERIES: list[tuple[str, str, str]] = [
    ("executions list, page 1", "GET", "/executions/search?size=25&sort=state.startDate:desc"),
    ("executions list, page 200", "GET", "/executions/search?size=25&page=200"),
    ("executions, FAILED", "GET", "/executions/search?size=25&state=FAILED"),
    ("executions, one flow", "GET", "/executions/search?size=25&namespace=bench.ops&flowId=flow-1"),
    ("executions, last 24 h", "GET", "/executions/search?size=25&startDate={day_ago}"),
    ("executions, free text", "GET", "/executions/search?size=25&q=flow-7"),
    ("executions, one namespace", "GET", "/executions/search?size=25&namespace=bench.ops"),
    ("executions, a label", "GET", "/executions/search?size=25&labels=team:data"),
    # What the executions page sends by default: the last 7 days (its `range` URL state).
    ("UI list (7 days), page 1", "GET", "/executions/search?size=25&startDate={week_ago}"),
    (
        "UI list (7 days), page 200",
        "GET",
        "/executions/search?size=25&page=200&startDate={week_ago}",
    ),
    (
        "UI list (7 days), free text",
        "GET",
        "/executions/search?size=25&q=flow-7&startDate={week_ago}",
    ),
    (
        "UI list (7 days), a label",
        "GET",
        "/executions/search?size=25&labels=team:data&startDate={week_ago}",
    ),
    (
        "UI list (7 days), FAILED",
        "GET",
        "/executions/search?size=25&state=FAILED&startDate={week_ago}",
    ),
    ("dashboard, one request (the page's)", "GET", "/stats/dashboard?startDate={week_ago}"),
    ("dashboard, 30 days, one request", "GET", "/stats/dashboard?startDate={month_ago}"),
    # The five requests the dashboard page sent before /stats/dashboard, for comparison.
    ("dashboard: daily stats, 7 days", "POST", "/stats/executions/daily?startDate={week_ago}"),
    ("dashboard: daily stats, 30 days", "POST", "/stats/executions/daily?startDate={month_ago}"),
    ("dashboard: 100 recent (percentiles)", "GET", "/executions/search?size=100"),
    ("dashboard: failing flows", "GET", "/stats/executions/failing-flows?size=5"),
    ("(before: per-flow daily stats)", "POST", "/stats/executions/daily/group-by-flow"),
    ("dashboard: running count", "GET", "/executions/search?size=1&state=RUNNING"),
    ("summary", "GET", "/stats/summary"),
]


async def measure(settings: KestrelSettings, rounds: int) -> None:
    """Serve the API here and time each query ``rounds`` times."""
    context = await asyncio.to_thread(build_context, settings)
    runner = web.AppRunner(create_app(context))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    base = f"http://127.0.0.1:{port}/api/v1/main"
    now = datetime.now(UTC)
    dates = {
        "day_ago": (now - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "week_ago": (now - timedelta(days=7)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "month_ago": (now - timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    print(f"{'query':<38} {'median':>9} {'max':>9}  answer")
    async with ClientSession() as client:
        for name, method, path in QUERIES:
            url = base + path.format(**dates)
            times = []
            summary = ""
            for _ in range(rounds):
                started = time.perf_counter()
                async with client.request(method, url) as response:
                    body = await response.json()
                times.append(time.perf_counter() - started)
                if response.status != 200:
                    summary = f"HTTP {response.status}: {body.get('message')}"
                elif isinstance(body, dict) and "total" in body:
                    summary = f"total {body['total']}, {len(body['results'])} returned"
                elif isinstance(body, list):
                    summary = f"{len(body)} items"
                else:
                    summary = "ok"
            median_ms = statistics.median(times) * 1000
            print(f"{name:<38} {median_ms:>7.0f} ms {max(times) * 1000:>6.0f} ms  {summary}")
    await runner.cleanup()
    # The same first page straight from Elasticsearch: how much of the answer is the search.
    last_week = ExecutionFilter(start=now - timedelta(days=7))
    with Repositories.from_settings(settings) as repos:
        for name, call in (
            ("Elasticsearch alone: list page 1", lambda: repos.executions.find(page=1, size=25)),
            ("Elasticsearch alone: count, 7 days", lambda: repos.executions.count(last_week)),
        ):
            times = []
            for _ in range(rounds):
                started = time.perf_counter()
                call()
                times.append(time.perf_counter() - started)
            median_ms = statistics.median(times) * 1000
            print(f"{name:<38} {median_ms:>7.0f} ms {max(times) * 1000:>6.0f} ms")


def footprint(backends: Backends, count: int, when: str) -> None:
    """The embedded server's resident memory and data file (nothing asked of the server:
    even ``_cat/indices`` reads every document there)."""
    embedded = backends.embedded
    if embedded is None or embedded.pid is None:
        return
    status = Path(f"/proc/{embedded.pid}/status").read_text()
    rss_kb = next((int(line.split()[1]) for line in status.splitlines() if "VmRSS" in line), 0)
    data = embedded.data_dir / "elasticsearch.json"
    size = data.stat().st_size if data.exists() else 0
    print(
        f"embedded server {when}: {rss_kb / 1024:.0f} MB resident, elasticsearch.json"
        f" {size / 1e6:.0f} MB ({rss_kb * 1024 / max(count, 1) / 1000:.0f} KB and"
        f" {size / max(count, 1) / 1000:.1f} KB per execution)",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--executions", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--run-id",
        default="",
        help="name the topics and indices (with BENCH_DIR: measure again without re-indexing)",
    )
    parser.add_argument(
        "--skip-index", action="store_true", help="measure what --run-id already indexed"
    )
    parser.add_argument(
        "--no-produce",
        action="store_true",
        help="index what --run-id produced before (an interrupted run) without producing again",
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    with (
        tempfile.TemporaryDirectory(prefix="kestrel-bench-") as tmp,
        # Loading 100,000 executions' data files again takes the embedded server a while.
        resolve_backends(Path(os.environ.get("BENCH_DIR") or tmp), timeout=600) as backends,
    ):
        run = args.run_id or uuid.uuid4().hex[:8]
        settings = load_settings(
            kafka={
                "bootstrap": backends.kafka_bootstrap,
                "topic_prefix": f"bench.{run}.",
                "partitions": 4,
                "instance_id": f"ui-bench-{run}",
            },
            elasticsearch={
                "url": backends.elasticsearch_url,
                "index_prefix": f"bench-{run}-",
                "request_timeout": 120,  # the figures of slow requests too, not time-outs
            },
            indexer={"group_id": f"bench-{run}", "instance_id": f"bench-{run}", "batch_size": 2000},
            storage={"base_dir": Path(tmp) / "storage"},
            webserver={"auth": {"enabled": False}},
        )
        ensure_topics(settings)
        if not args.skip_index:
            index(settings, args.executions, produce=not args.no_produce)
        footprint(backends, args.executions, "before the queries")
        asyncio.run(measure(settings, args.rounds))
        footprint(backends, args.executions, "after the queries")


if __name__ == "__main__":
    main()
