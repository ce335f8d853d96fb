"""How fast an executor comes back after ``kill -9``, with N executions in its partitions.

Against the embedded backends, with an executor and a worker as separate processes: runs N
executions of a 2-task flow to their end, kills the executor with SIGKILL, starts it again
under the same instance id, then prints how long it took to restore its state from the
``executions`` topic (from its own log line) and how long until a new execution, submitted
at the restart, ended. It prints figures; it asserts nothing.

    .venv/bin/python bench/recovery.py [--executions 2000]
"""

from __future__ import annotations

import argparse
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from throughput import prepare, submit, wait

from orchestrator.backends import resolve_backends
from orchestrator.kafka import TOPICS, TopicTail
from orchestrator.models.execution import Execution

KESTREL = Path(sys.executable).parent / "kestrel"
RESTORED = re.compile(r"restored (\d+) executions of partitions \[[\d, ]*\] in ([\d.]+) s")


def start(role: str, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    output = log.open("ab")
    return subprocess.Popen(
        [str(KESTREL), role, "--instance-id", f"recovery-{role}", "--management-port", "0"],
        env=env,
        stdout=output,
        stderr=subprocess.STDOUT,
    )


def restore_line(log: Path, after: int, timeout: float = 600) -> tuple[int, float]:
    """Wait for the executor's restore line written after byte ``after`` of its log."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = RESTORED.findall(log.read_text(errors="replace")[after:])
        if found:
            return sum(int(n) for n, _ in found), max(float(s) for _, s in found)
        time.sleep(0.05)  # polling the log for a line, bounded by the deadline
    raise SystemExit(f"no restore line in {log}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--executions", type=int, default=2000)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="kestrel-recovery-"))
    with resolve_backends(work / "backends") as backends:
        settings, env = prepare(backends, work, "recovery")
        executor_log = work / "executor.log"
        executor = start("executor", env, executor_log)
        worker = start("worker", env, work / "worker.log")
        seen: dict[str, Execution] = {}
        try:
            with TopicTail(settings, [TOPICS.executions]) as tail:
                wait(tail, submit(settings, "two-tasks", args.executions), seen, 900)
                executor.send_signal(signal.SIGKILL)
                executor.wait()
                offset = executor_log.stat().st_size
                restarted = time.monotonic()
                executor = start("executor", env, executor_log)
                probe = submit(settings, "two-tasks", 1)
                wait(tail, probe, seen, 300)
                back = time.monotonic() - restarted
            restored, seconds = restore_line(executor_log, offset)
            print(f"{args.executions} executions ended, executor killed with SIGKILL, restarted:")
            print(f"  restore: {restored} executions read back in {seconds:.2f}s")
            print(f"  a new execution submitted at the restart ended {back:.2f}s later")
            print("  (process start, group rejoin, restore, then the execution itself)")
        finally:
            for process in (executor, worker):
                if process.poll() is None:
                    process.send_signal(signal.SIGTERM)
                    process.wait(timeout=60)
            print(f"(logs: {work})")


if __name__ == "__main__":
    main()
