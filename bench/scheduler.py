"""Scheduler firing delay and CPU per firing, on one scheduler process, embedded backends.

Deploys flows holding ``--minutely`` schedules firing every minute (default 10,000) and
``--secondly`` ones firing every second (default 1,000), starts one ``kestrel scheduler``
and plays the executor itself: every Create it sees is answered at once with the
`ExecutionEnded` that releases the trigger's lock, so the figures are the scheduler's own.
It reads the ``kestrel.trigger.delay`` metric of each firing (slot date to the Create
decision, committed in the firing's transaction) and the scheduler process's CPU time, and
prints firing delay p50/p99/max, firings per second and CPU per firing. It asserts nothing.

    .venv/bin/python bench/scheduler.py [--minutely 10000] [--secondly 1000] [--seconds 130]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

from orchestrator.backends import resolve_backends
from orchestrator.cli.deploy import deploy_files
from orchestrator.kafka import TOPICS, KafkaProducer, TopicTail, ensure_topics
from orchestrator.models.messages import CreateExecution, MetricEntry
from orchestrator.models.state import StateType
from orchestrator.models.trigger_commands import ExecutionEnded
from orchestrator.scheduler.service import DELAY_METRIC
from orchestrator.settings import KestrelSettings, load_settings

PER_FLOW = 100  # triggers per flow


def write_flows(folder: Path, minutely: int, secondly: int) -> None:
    """Flows of ``PER_FLOW`` schedules each."""

    def flow(name: str, count: int, cron: str, seconds: bool) -> str:
        lines = [
            f"id: {name}",
            "namespace: kestrel.bench.scheduler",
            "tasks:",
            "  - id: log",
            "    type: io.kestra.plugin.core.log.Log",
            "    message: tick",
            "triggers:",
        ]
        for index in range(count):
            lines += [
                f"  - id: t{index}",
                "    type: io.kestra.plugin.core.trigger.Schedule",
                f'    cron: "{cron}"',
            ]
            if seconds:
                lines.append("    withSeconds: true")
        return "\n".join(lines) + "\n"

    for kind, total, cron, seconds in (
        ("minutely", minutely, "* * * * *", False),
        ("secondly", secondly, "* * * * * *", True),
    ):
        for start in range(0, total, PER_FLOW):
            name = f"{kind}-{start // PER_FLOW}"
            text = flow(name, min(PER_FLOW, total - start), cron, seconds)
            (folder / f"{name}.yml").write_text(text)


class FakeExecutor(threading.Thread):
    """Ends every execution a trigger creates at once (the lock released), and counts."""

    def __init__(self, settings: KestrelSettings) -> None:
        super().__init__(daemon=True)
        self._settings = settings
        self.stop = threading.Event()
        self.creates = 0
        self.measuring = False
        self.visible: list[float] = []  # slot date -> Create read (committed), in seconds

    def run(self) -> None:
        with (
            TopicTail(self._settings, [TOPICS.execution_commands]) as tail,
            KafkaProducer(self._settings, overrides={"linger.ms": 5}) as producer,
        ):
            while not self.stop.is_set():
                records = tail.poll(max_messages=5000, timeout=0.1)
                for record in records:
                    create = record.decoded(TOPICS.execution_commands)
                    if not isinstance(create, CreateExecution) or create.trigger is None:
                        continue
                    self.creates += 1
                    if self.measuring and create.schedule_date is not None:
                        seen = time.time() - create.schedule_date.timestamp()
                        self.visible.append(seen)
                    ended = ExecutionEnded(
                        namespace=create.namespace,
                        flow_id=create.flow_id,
                        trigger_id=create.trigger.id,
                        execution_id=create.execution_id,
                        execution_namespace=create.namespace,
                        execution_flow_id=create.flow_id,
                        flow_revision=create.flow_revision or 1,
                        state=StateType.SUCCESS,
                        started_by_trigger=True,
                    )
                    key = f"{create.namespace}/{create.flow_id}/{create.trigger.id}"
                    producer.send(TOPICS.trigger_commands, key, ended)
                producer.poll(0)
            producer.flush()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def read_delays(settings: KestrelSettings, since: float) -> tuple[list[float], list[float]]:
    """Delays of the minutely and the secondly firings whose metric is later than ``since``."""
    minutely: list[float] = []
    secondly: list[float] = []
    with TopicTail(settings, [TOPICS.metrics]) as tail:
        while records := tail.poll(max_messages=10000, timeout=2.0):
            for record in records:
                entry = record.decoded(TOPICS.metrics)
                if not isinstance(entry, MetricEntry) or entry.name != DELAY_METRIC:
                    continue
                if entry.timestamp.timestamp() < since:
                    continue
                target = minutely if entry.flow_id.startswith("minutely") else secondly
                target.append(entry.value)
    return minutely, secondly


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def describe(name: str, delays: list[float]) -> None:
    if not delays:
        print(f"{name}: no firings")
        return
    print(
        f"{name}: {len(delays)} firings, delay p50 {percentile(delays, 0.5) * 1000:.0f} ms, "
        f"p99 {percentile(delays, 0.99) * 1000:.0f} ms, max {max(delays) * 1000:.0f} ms, "
        f"mean {statistics.fmean(delays) * 1000:.0f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--minutely", type=int, default=10_000)
    parser.add_argument("--secondly", type=int, default=1_000)
    parser.add_argument("--seconds", type=float, default=130.0, help="Measured window.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, resolve_backends(Path(tmp) / "backends") as ends:
        settings = load_settings(
            kafka={
                "bootstrap": ends.kafka_bootstrap,
                "topic_prefix": f"bench-sched.{uuid.uuid4().hex[:8]}.",
            },
            elasticsearch={"url": ends.elasticsearch_url},
        )
        ensure_topics(settings)
        folder = Path(tmp) / "flows"
        folder.mkdir()
        write_flows(folder, args.minutely, args.secondly)
        started = time.monotonic()
        deploy_files(settings, [folder])
        print(
            f"deployed {args.minutely} minutely and {args.secondly} secondly schedules "
            f"in {time.monotonic() - started:.1f} s"
        )
        executor = FakeExecutor(settings)
        executor.start()
        env = dict(os.environ)
        env.update(
            KESTREL_KAFKA_BOOTSTRAP=settings.kafka.bootstrap,
            KESTREL_KAFKA__TOPIC_PREFIX=settings.kafka.topic_prefix,
        )
        log_path = Path(os.environ.get("BENCH_LOG", Path(tmp) / "scheduler.log"))
        log = log_path.open("wb")
        command = [str(Path(sys.executable).parent / "kestrel"), "scheduler"]
        if os.environ.get("BENCH_PROFILE"):  # a cProfile dump of the scheduler, for digging
            command = [
                sys.executable,
                "-m",
                "cProfile",
                "-o",
                os.environ["BENCH_PROFILE"],
                *command,
            ]
        scheduler = subprocess.Popen(
            [*command, "--instance-id", "bench"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            # Warm up: the states of every trigger written and the first slots fired (with
            # minute schedules only, the first minute's burst).
            warm = args.secondly * 3 if args.secondly else args.minutely
            while executor.creates < warm and scheduler.poll() is None:
                time.sleep(0.5)
            since = time.time()
            executor.measuring = True
            cpu_before, creates_before = cpu_seconds(scheduler.pid), executor.creates
            time.sleep(args.seconds)
            cpu = cpu_seconds(scheduler.pid) - cpu_before
            firings = executor.creates - creates_before
            executor.measuring = False
        finally:
            scheduler.terminate()
            scheduler.wait(timeout=60)
            executor.stop.set()
            executor.join(timeout=10)
            log.close()
        minutely, secondly = read_delays(settings, since)
        print(f"measured {args.seconds:.0f} s: {firings} firings ({firings / args.seconds:.0f}/s)")
        describe("decided and produced, every minute", minutely)
        describe("decided and produced, every second", secondly)
        describe("committed and read by a consumer, all", executor.visible)
        if firings:
            print(f"scheduler CPU {cpu:.1f} s: {cpu / firings * 1e6:.0f} us per firing")


if __name__ == "__main__":
    main()
