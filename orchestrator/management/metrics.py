"""Every Prometheus metric of Kestrel, declared once (names follow Kestra's, prefix ``kestrel_``).

Services record into these objects; the management server exposes them at ``/metrics``.
Labels are bounded: namespaces, flows, task types, states and topic partitions, never
execution or task run ids. Counters are exported with Prometheus' ``_total`` suffix
(``kestrel_executor_execution_end_count_total``), as Kestra's are.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

_DURATIONS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600)
_FAST = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5)
_SIZES = (1, 2, 5, 10, 25, 50, 100, 250, 500, 1000)

# ---- executor ------------------------------------------------------------------------------

EXECUTION_STARTED = Counter(
    "kestrel_executor_execution_started_count",
    "Executions created.",
    ["namespace_id", "flow_id"],
)
EXECUTION_ENDED = Counter(
    "kestrel_executor_execution_end_count",
    "Executions that reached a terminal state.",
    ["namespace_id", "flow_id", "state"],
)
EXECUTION_DURATION = Histogram(
    "kestrel_executor_execution_duration_seconds",
    "Duration of ended executions, from creation to their terminal state.",
    ["namespace_id", "flow_id", "state"],
    buckets=_DURATIONS,
)
TASKRUN_ENDED = Counter(
    "kestrel_executor_taskrun_ended_count",
    "Task run attempts that ended, as reported by workers.",
    ["namespace_id", "flow_id", "state"],
)
EXECUTOR_BATCH_SIZE = Histogram(
    "kestrel_executor_batch_size",
    "Records processed in one transaction.",
    buckets=_SIZES,
)
EXECUTOR_TRANSACTION_DURATION = Histogram(
    "kestrel_executor_transaction_duration_seconds",
    "Time from the start of a batch's transaction to its commit.",
    buckets=_FAST,
)
EXECUTOR_STORE_SIZE = Gauge(
    "kestrel_executor_store_executions",
    "Executions held by the executor instances of this process (not ended).",
)
EXECUTOR_RESTORE_DURATION = Histogram(
    "kestrel_executor_restore_duration_seconds",
    "Time to restore the executions of newly assigned partitions.",
    buckets=_DURATIONS,
)

# ---- worker --------------------------------------------------------------------------------

WORKER_RUNNING = Gauge(
    "kestrel_worker_job_running",
    "Task runs running on the workers of this process.",
    ["task_type"],
)
WORKER_PENDING = Gauge(
    "kestrel_worker_job_pending",
    "Task runs waiting in Kafka for the workers of this process (lag of worker-tasks).",
)
WORKER_THREADS = Gauge(
    "kestrel_worker_thread",
    "Task run slots of the workers of this process.",
)
WORKER_ENDED = Counter(
    "kestrel_worker_ended_count",
    "Task run attempts that ended on a worker.",
    ["task_type", "state"],
)
WORKER_QUEUED_DURATION = Histogram(
    "kestrel_worker_queued_duration_seconds",
    "Time a task run waited in Kafka before a worker started it.",
    buckets=_FAST,
)
WORKER_TIMEOUT = Counter(
    "kestrel_worker_timeout_count",
    "Task run attempts stopped because they ran past their timeout.",
    ["task_type"],
)

# ---- scheduler -----------------------------------------------------------------------------

SCHEDULER_TRIGGER_COUNT = Counter(
    "kestrel_scheduler_trigger_count",
    "Executions created by triggers.",
    ["namespace_id", "flow_id", "trigger_type"],
)
SCHEDULER_TRIGGER_DELAY = Histogram(
    "kestrel_scheduler_trigger_delay_seconds",
    "Time from a trigger's slot date to its execution's creation being committed.",
    buckets=_FAST,
)

# ---- indexer -------------------------------------------------------------------------------

INDEXER_REQUEST_DURATION = Histogram(
    "kestrel_indexer_request_duration_seconds",
    "Duration of bulk requests to Elasticsearch, retries included.",
    buckets=_FAST,
)
INDEXER_DOCUMENTS = Counter(
    "kestrel_indexer_documents_count",
    "Documents written or deleted by bulk requests.",
)
INDEXER_FAILED = Counter(
    "kestrel_indexer_failed_documents_count",
    "Documents Elasticsearch refused for their content (sent to dead-letters).",
)

# ---- webserver -----------------------------------------------------------------------------

WEBSERVER_REQUESTS = Counter(
    "kestrel_webserver_request_count",
    "HTTP requests answered.",
    ["route", "method", "status"],
)
WEBSERVER_DURATION = Histogram(
    "kestrel_webserver_request_duration_seconds",
    "Time to answer HTTP requests (up to the first byte of a stream).",
    ["route", "method"],
    buckets=_FAST,
)

__all__ = [
    "EXECUTION_DURATION",
    "EXECUTION_ENDED",
    "EXECUTION_STARTED",
    "EXECUTOR_BATCH_SIZE",
    "EXECUTOR_RESTORE_DURATION",
    "EXECUTOR_STORE_SIZE",
    "EXECUTOR_TRANSACTION_DURATION",
    "INDEXER_DOCUMENTS",
    "INDEXER_FAILED",
    "INDEXER_REQUEST_DURATION",
    "SCHEDULER_TRIGGER_COUNT",
    "SCHEDULER_TRIGGER_DELAY",
    "TASKRUN_ENDED",
    "WEBSERVER_DURATION",
    "WEBSERVER_REQUESTS",
    "WORKER_ENDED",
    "WORKER_PENDING",
    "WORKER_QUEUED_DURATION",
    "WORKER_RUNNING",
    "WORKER_THREADS",
    "WORKER_TIMEOUT",
]
