"""The worker: runs runnable tasks and reports their results, logs and heartbeats."""
