"""MQTT tasks and trigger (``io.kestra.plugin.mqtt``), on paho-mqtt (``[mqtt]`` extra)."""

from plugins.mqtt.tasks import MqttTrigger, Publish, Subscribe

__all__ = ["MqttTrigger", "Publish", "Subscribe"]
