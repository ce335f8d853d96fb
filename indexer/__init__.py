"""The indexer: mirrors Kafka topics into Elasticsearch."""
