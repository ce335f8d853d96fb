"""Chaos: executor x2, worker x2 and an indexer as processes, killed with -9 while they work.

Against the embedded backends (a broker of its own): submits N executions of mixed flows
(Parallel, ForEach, retries, an errors branch, a Pause with a delay, a Subflow, shell
tasks; ``tests/flows/chaos``), kills a random service with SIGKILL every few seconds and
restarts it under the same instance id, injects malformed messages (not JSON, wrong
``type``, unknown execution id, as large as the broker takes) into every consumed topic,
then prints the invariants and exits 1 if one fails. Known product gaps are printed as
such and fail the run only with ``--strict`` (which also injects what stops a service).

    .venv/bin/python bench/chaos.py [--executions 1000] [--kill-every 5] [--seed 1]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import uuid
from pathlib import Path

_HERE = Path(__file__).resolve().parent
# bench/ first on sys.path would let bench/indexer.py shadow the indexer package; the
# machinery lives with the tests (tests/chaos), which run the same scenario, smaller.
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent / "tests"))

from chaos.scenario import ChaosConfig, run_chaos  # noqa: E402

from orchestrator.backends import resolve_backends  # noqa: E402
from orchestrator.settings import load_settings  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--executions", type=int, default=1000)
    parser.add_argument("--kill-every", type=float, default=5.0, help="seconds, +-50%%")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--submit-over", type=float, default=None, help="seconds")
    parser.add_argument("--partitions", type=int, default=4)
    parser.add_argument("--strict", action="store_true", help="known gaps fail the run too")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="kestrel-chaos-"))
    config = ChaosConfig(
        executions=args.executions,
        kill_every=args.kill_every,
        seed=args.seed,
        submit_over=args.submit_over or max(10.0, args.executions / 15),
        strict=args.strict,
    )
    started = time.monotonic()
    with resolve_backends(work / "backends") as backends:
        settings = load_settings(
            kafka={
                "bootstrap": backends.kafka_bootstrap,
                "topic_prefix": f"chaos.{uuid.uuid4().hex[:8]}.",
                "partitions": args.partitions,
            },
            elasticsearch={"url": backends.elasticsearch_url},
            storage={"base_dir": work / "storage"},
            data_dir=work / "data",
        )
        figures = run_chaos(settings, work, config)
    print(f"{args.executions} executions, kill every ~{args.kill_every:g}s, seed {args.seed}:")
    print(figures.table())
    print(f"  wall time: {time.monotonic() - started:.0f}s")
    failures = figures.failures(strict=args.strict)
    for line in failures:
        print(f"FAILED: {line.label.strip()} = {line.value}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
