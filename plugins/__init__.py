"""Task and trigger types beyond the core ones (shell, HTTP, Kafka, Elasticsearch...)."""
