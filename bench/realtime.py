"""Realtime trigger latency: message published -> its execution's Create visible (committed).

Starts embedded backends, deploys one flow with a Kafka ``RealtimeTrigger`` (or, with
``--source amqp``, an AMQP one on the local RabbitMQ), runs one scheduler in this process,
publishes ``--messages`` messages at ``--rate`` per second, each carrying its send time,
and reads the committed Create commands. Prints the latency p50/p99/max, the messages per
second taken in, and the count check (each message exactly once). It asserts nothing.

    .venv/bin/python bench/realtime.py [--source kafka|amqp] [--messages 2000] [--rate 200]
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic

from orchestrator.backends import resolve_backends
from orchestrator.cli.context import make_renderer
from orchestrator.cli.deploy import deploy_files
from orchestrator.kafka import TOPICS, TopicTail, ensure_topics
from orchestrator.models.messages import CreateExecution
from orchestrator.scheduler.service import SchedulerService
from orchestrator.settings import load_settings

FLOW = """id: realtime
namespace: kestrel.bench.realtime
tasks:
  - id: log
    type: io.kestra.plugin.core.log.Log
    message: "{{ trigger }}"
triggers:
  - id: messages
"""


def trigger_yaml(source: str, bootstrap: str, name: str) -> str:
    if source == "kafka":
        return (
            "    type: io.kestra.plugin.kafka.RealtimeTrigger\n"
            f"    properties:\n      bootstrap.servers: {bootstrap}\n"
            f"    topic: {name}\n    groupId: {name}-group\n"
        )
    return (
        f"    type: io.kestra.plugin.amqp.RealtimeTrigger\n    host: 127.0.0.1\n    queue: {name}\n"
    )


def publisher(source: str, bootstrap: str, name: str) -> tuple[object, object]:
    """A send(text) function and a close() for the source."""
    if source == "kafka":
        producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 1})

        def send_kafka(text: str) -> None:
            producer.produce(name, text.encode())
            producer.poll(0)

        return send_kafka, lambda: producer.flush(10)
    import pika

    connection = pika.BlockingConnection(pika.ConnectionParameters("127.0.0.1", 5672))
    channel = connection.channel()
    channel.queue_declare(name)

    def send_amqp(text: str) -> None:
        channel.basic_publish("", name, text.encode())

    return send_amqp, connection.close


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--source", choices=("kafka", "amqp"), default="kafka")
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--rate", type=float, default=200.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, resolve_backends(Path(tmp) / "backends") as ends:
        settings = load_settings(
            kafka={
                "bootstrap": ends.kafka_bootstrap,
                "topic_prefix": f"bench-rt.{uuid.uuid4().hex[:8]}.",
            },
            elasticsearch={"url": ends.elasticsearch_url},
            storage={"base_dir": Path(tmp) / "storage"},
        )
        ensure_topics(settings)
        name = f"bench-rt-{uuid.uuid4().hex[:8]}"
        if args.source == "kafka":
            admin = AdminClient({"bootstrap.servers": ends.kafka_bootstrap})
            for future in admin.create_topics([NewTopic(name, 4, 1)]).values():
                future.result(15)
        send, close = publisher(args.source, ends.kafka_bootstrap, name)
        folder = Path(tmp) / "flows"
        folder.mkdir()
        (folder / "realtime.yml").write_text(
            FLOW + trigger_yaml(args.source, ends.kafka_bootstrap, name)
        )
        deploy_files(settings, [folder])
        scheduler = SchedulerService(settings, "bench-rt", make_renderer())
        thread = threading.Thread(target=scheduler.run, daemon=True)
        thread.start()
        seen: dict[str, float] = {}
        counts: Counter[str] = Counter()
        field = "value" if args.source == "kafka" else "data"
        reading = threading.Event()

        def read() -> None:  # concurrently with the publisher: when each Create is visible
            with TopicTail(settings, [TOPICS.execution_commands]) as tail:
                reading.set()
                deadline = time.monotonic() + 600
                while len(seen) < args.messages and time.monotonic() < deadline:
                    for record in tail.poll(max_messages=5000, timeout=0.05):
                        create = record.decoded(TOPICS.execution_commands)
                        if not isinstance(create, CreateExecution) or create.trigger is None:
                            continue
                        text = str(create.trigger.variables[field])
                        counts[text] += 1
                        seen.setdefault(text, time.time() - float(text.split(":")[1]))

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        reading.wait(30)
        time.sleep(5)  # warm-up: the scheduler joins its group and subscribes
        started = time.monotonic()
        for index in range(args.messages):
            target = started + index / args.rate
            pause = target - time.monotonic()
            if pause > 0:
                time.sleep(pause)  # pacing the publisher, not waiting on a result
            send(f"{index}:{time.time()}")
        reader.join(120)
        took = time.monotonic() - started
        close()
        scheduler.stop()
        thread.join(30)
        latencies = list(seen.values())
        duplicates = sum(count - 1 for count in counts.values())
        print(
            f"{args.source}: {len(seen)} of {args.messages} messages started an execution "
            f"({duplicates} duplicates) in {took:.1f} s, "
            f"{len(seen) / took:.0f}/s at {args.rate:.0f}/s sent"
        )
        if latencies:
            print(
                f"publish -> Create committed: p50 {percentile(latencies, 0.5) * 1000:.0f} ms, "
                f"p99 {percentile(latencies, 0.99) * 1000:.0f} ms, "
                f"max {max(latencies) * 1000:.0f} ms"
            )


if __name__ == "__main__":
    main()
