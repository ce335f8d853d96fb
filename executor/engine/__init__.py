"""The pure execution engine: from an execution, its flow and one event, what happens next.

It imports nothing from Kafka, Elasticsearch or aiohttp; the processor and the in-process
runner are thin shells around `advance`.
"""

from executor.engine.core import Event, advance
from executor.engine.decision import Decision, EngineSettings, Environment

__all__ = ["Decision", "EngineSettings", "Environment", "Event", "advance"]
