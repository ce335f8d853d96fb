"""Running flows in one process, without Kafka: ``kestrel flow test``."""

from orchestrator.local.runner import FileFlows, InProcessRunner, RunTimeoutError

__all__ = ["FileFlows", "InProcessRunner", "RunTimeoutError"]
