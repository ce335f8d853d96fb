"""Kestrel's core: models, YAML loading, templating, Kafka plumbing, settings and the CLI."""
