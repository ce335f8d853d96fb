"""Open-loop latency of a standalone server, and the idle CPU of every process.

Open loop: the 2-task flow (Log + Return) is submitted at fixed arrival rates, whatever
the server's pace, as real traffic arrives; a closed loop (submit, wait, submit) would hide
queueing. For each rate it prints the latency from the Create being sent to the terminal
snapshot being observed on the ``executions`` topic (p50/p95/p99) and the achieved rate.
Then, with nothing running, the CPU of the server and of the embedded broker over 10 s.
It prints figures; it asserts nothing.

    .venv/bin/python bench/latency.py [--rates 5,20,50,67,133] [--seconds 20] [--idle 10]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

from throughput import NAMESPACE, percentile, prepare, rest_when_idle

from orchestrator.backends import resolve_backends
from orchestrator.kafka import TOPICS, KafkaProducer, TopicTail
from orchestrator.models.execution import Execution, new_id
from orchestrator.models.messages import CreateExecution
from orchestrator.settings import KestrelSettings

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


class Observer(threading.Thread):
    """Follows ``executions`` and records when each execution's terminal snapshot arrives."""

    def __init__(self, settings: KestrelSettings) -> None:
        super().__init__(daemon=True)
        self.ended: dict[str, float] = {}
        self.ended_wall: dict[str, float] = {}
        self.final: dict[str, Execution] = {}
        self.failed: set[str] = set()
        self.changed = threading.Condition()
        self._tail = TopicTail(settings, [TOPICS.executions])
        self._stopping = threading.Event()

    def run(self) -> None:
        while not self._stopping.is_set():
            records = self._tail.poll(max_messages=5000, timeout=0.2)
            now = time.monotonic()
            for record in records:
                execution = record.decoded(TOPICS.executions)
                if execution is None or not execution.state.current.is_terminated:
                    continue
                if execution.id not in self.ended:
                    self.ended[execution.id] = now
                    self.ended_wall[execution.id] = time.time()
                    self.final[execution.id] = execution
                if execution.state.current.value != "SUCCESS":
                    self.failed.add(execution.id)
            if records:
                with self.changed:
                    self.changed.notify_all()

    def wait_for(self, ids: list[str], timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        with self.changed:
            while not all(each in self.ended for each in ids):
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.changed.wait(left)
        return True

    def stop(self) -> None:
        self._stopping.set()
        self.join(5)
        self._tail.close()


def explain(observer: Observer, sent_wall: dict[str, float], slowest: int) -> None:
    """Print where the time of the ``slowest`` executions went, step by step.

    From the dates in the terminal snapshot (the executor's and the workers' clocks, the
    same machine's here): submit -> the executor's Create, each task run's CREATED ->
    RUNNING (the executor's commit, the worker's fetch) -> end (the worker), the next
    step's start (the result back at the executor), the end -> observed (the commit, the
    observer's fetch).
    """
    ranked = sorted(
        (observer.ended_wall[i] - sent_wall[i], i) for i in sent_wall if i in observer.final
    )
    for total, execution_id in reversed(ranked[-slowest:]):
        execution = observer.final[execution_id]
        marks = [("submit", sent_wall[execution_id])]
        marks.append(("created", execution.state.histories[0].date.timestamp()))
        for run in execution.task_run_list:
            for entry in run.state.histories:
                marks.append((f"{run.task_id}.{entry.state.value}", entry.date.timestamp()))
        ended = execution.state.histories[-1]
        marks.append((ended.state.value, ended.date.timestamp()))
        marks.append(("observed", observer.ended_wall[execution_id]))
        steps = "  ".join(
            f"{name} +{(at - marks[index][1]) * 1000:.0f}"
            for index, (name, at) in enumerate(marks[1:])
        )
        print(f"    {total * 1000:5.0f} ms: {steps}")


def open_loop(
    producer: KafkaProducer, observer: Observer, rate: float, seconds: float, slowest: int = 0
) -> None:
    """Submit ``rate`` executions a second for ``seconds``; print latencies and the rate.

    One producer serves every rate, the warm-up's included: a new idempotent producer holds
    its first record for 500 ms (orchestrator/kafka/commands.py), which is not the server's
    latency. ``slowest``: also print where the time of that many of the slowest went.
    """
    count = max(1, int(rate * seconds))
    sent: dict[str, float] = {}
    sent_wall: dict[str, float] = {}
    start = time.monotonic()
    for index in range(count):
        due = start + index / rate
        pause = due - time.monotonic()
        if pause > 0:
            time.sleep(pause)  # the arrival schedule itself, not a wait for a result
        create = CreateExecution(execution_id=new_id(), namespace=NAMESPACE, flow_id="two-tasks")
        producer.send(TOPICS.execution_commands, create.execution_id, create)
        producer.poll(0)
        sent[create.execution_id] = time.monotonic()
        sent_wall[create.execution_id] = time.time()
    producer.flush()
    span = time.monotonic() - start
    ids = list(sent)
    finished = observer.wait_for(ids, timeout=300)
    latencies = [(observer.ended[i] - sent[i]) * 1000 for i in ids if i in observer.ended]
    failed = sum(1 for i in ids if i in observer.failed)
    print(
        f"{rate:>6.0f}/s ({rate * 60:>5,.0f}/min): achieved {count / span:6.1f}/s  latency ms "
        f"p50 {percentile(latencies, 0.5):5.0f}  p95 {percentile(latencies, 0.95):5.0f}  "
        f"p99 {percentile(latencies, 0.99):5.0f}  max {max(latencies):5.0f}  "
        f"(n={len(latencies)}, failed {failed}{'' if finished else ', SOME DID NOT END'})",
        flush=True,
    )
    if slowest:
        explain(observer, sent_wall, slowest)


def thread_cpu(pid: int) -> dict[str, float]:
    """CPU seconds (user + system) of each thread of a process, by thread id and name."""
    found = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            stat = (task / "stat").read_text()
        except OSError:  # the thread ended
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat.rsplit(")", 1)[1].split()
        found[f"{task.name}:{name}"] = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    return found


def idle_cpu(processes: dict[str, int], seconds: float) -> None:
    """Print each process' CPU over ``seconds`` as a share of one core.

    The server's share is split between librdkafka's threads (``rdk:*``, the fetch loops
    against the broker) and the rest (Kestrel's own Python loops).
    """
    before = {name: thread_cpu(pid) for name, pid in processes.items()}
    time.sleep(seconds)  # the measurement window
    for name, pid in processes.items():
        after = thread_cpu(pid)
        used = {key: value - before[name].get(key, 0.0) for key, value in after.items()}
        total = sum(used.values()) / seconds * 100
        kafka = sum(v for k, v in used.items() if ":rdk:" in k) / seconds * 100
        print(
            f"idle CPU over {seconds:.0f}s: {name:<7} {total:5.1f}% of a core "
            f"(librdkafka threads {kafka:5.1f}%, the rest {total - kafka:5.1f}%)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rates", default="5,20,50,67,133", help="arrivals per second")
    parser.add_argument("--seconds", type=float, default=20.0, help="per rate")
    parser.add_argument("--idle", type=float, default=10.0, help="idle CPU window, seconds")
    parser.add_argument(
        "--explain", type=int, default=0, help="per rate, where the N slowest spent their time"
    )
    parser.add_argument(
        "--idle-after",
        type=float,
        help="kafka.idle_after of the server (default: 0.5 on the embedded broker, as "
        "server local; 0 for none)",
    )
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="kestrel-latency-"))
    with resolve_backends(work / "backends") as backends:
        settings, env = prepare(backends, work, "latency")
        env["KESTREL_KAFKA__INSTANCE_ID"] = f"latency-{uuid.uuid4().hex[:6]}"
        rest_when_idle(env, backends, args.idle_after)
        kestrel = Path(sys.executable).parent / "kestrel"
        log = (work / "server.log").open("w")
        server = subprocess.Popen(
            [str(kestrel), "server", "standalone"], env=env, stdout=log, stderr=log
        )
        observer = Observer(settings)
        observer.start()
        producer = KafkaProducer(settings)
        try:
            open_loop(producer, observer, rate=5, seconds=4)  # warm-up, printed too
            for rate in (float(each) for each in args.rates.split(",")):
                open_loop(producer, observer, rate, args.seconds, args.explain)
            observer.stop()
            processes = {"server": server.pid}
            broker = backends.embedded.pid if backends.embedded else None
            if broker:
                processes["broker"] = broker
            time.sleep(3)  # let the last batches and index flushes settle before measuring
            idle_cpu(processes, args.idle)
        finally:
            producer.close()
            server.terminate()
            server.wait(60)
    print(f"(server log: {work / 'server.log'})")


if __name__ == "__main__":
    main()
