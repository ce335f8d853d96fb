"""Kestra's runnable core tasks beyond Kestrel's first ones: storage, KV, assertions."""
