"""The executor: the pure engine that advances executions and its Kafka processor."""
