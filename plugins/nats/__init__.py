"""NATS tasks and trigger (``io.kestra.plugin.nats``), on nats-py (``[nats]`` extra)."""

from plugins.nats.tasks import Consume, NatsTrigger, Produce

__all__ = ["Consume", "NatsTrigger", "Produce"]
