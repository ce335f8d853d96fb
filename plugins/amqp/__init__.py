"""AMQP 0-9-1 tasks and triggers (``io.kestra.plugin.amqp``), on pika (``[amqp]`` extra)."""

from plugins.amqp.consume import Consume
from plugins.amqp.publish import Publish
from plugins.amqp.triggers import AmqpRealtimeTrigger, AmqpTrigger

__all__ = ["AmqpRealtimeTrigger", "AmqpTrigger", "Consume", "Publish"]
