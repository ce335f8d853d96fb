"""Kafka tasks and triggers (``io.kestra.plugin.kafka``), on confluent-kafka."""

from plugins.kafka.consume import Consume
from plugins.kafka.produce import Produce
from plugins.kafka.triggers import KafkaRealtimeTrigger, KafkaTrigger

__all__ = ["Consume", "KafkaRealtimeTrigger", "KafkaTrigger", "Produce"]
