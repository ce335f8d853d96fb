"""The ``kestrel`` command line: every command is imported only when it runs."""

from __future__ import annotations

import click

from orchestrator.cli.lazy import LazyCommand, LazyGroup

_SERVICES = "orchestrator.cli.services"

COMMANDS: dict[str, LazyCommand] = {
    "execution": LazyCommand(
        "orchestrator.cli.executions:execution_group", "Find, run and control executions."
    ),
    "executor": LazyCommand(
        f"{_SERVICES}:executor_command", "Run an executor: advances executions, exactly once."
    ),
    "flow": LazyCommand("orchestrator.cli.flow:flow_group", "Work with flow files."),
    "hash-password": LazyCommand(
        f"{_SERVICES}:hash_password_command",
        "Print the Argon2 hash of a password or token, for webserver.auth users and tokens.",
    ),
    "indexer": LazyCommand(
        "orchestrator.cli.indexer:indexer_group",
        "Run the indexer: mirror Kafka into Elasticsearch until Ctrl-C.",
    ),
    "kv": LazyCommand(
        "orchestrator.cli.kv:kv_group", "Read and write KV pairs (the compacted `kv` topic)."
    ),
    "logs": LazyCommand(
        "orchestrator.cli.logs:logs_command",
        "Print the log lines of an execution (history from Elasticsearch).",
    ),
    "namespace": LazyCommand("orchestrator.cli.namespaces:namespace_group", "Manage namespaces."),
    "plugins": LazyCommand(
        "orchestrator.cli.plugins:plugins_group",
        "List the task and trigger types, and show how to use one.",
    ),
    "scheduler": LazyCommand(
        f"{_SERVICES}:scheduler_command",
        "Run a scheduler: fires the triggers of its partitions, each slot exactly once.",
    ),
    "secret-key": LazyCommand(
        f"{_SERVICES}:secret_key_command",
        "Print a new key for security.secret_key (KESTREL_SECURITY__SECRET_KEY).",
    ),
    "server": LazyCommand(f"{_SERVICES}:server_group", "Run every service in one process."),
    "stats": LazyCommand(
        "orchestrator.cli.stats:stats_command",
        "Print dashboard figures: executions per state, durations, failing flows.",
    ),
    "topics": LazyCommand(
        "orchestrator.cli.topics:topics_group", "Create or describe Kestrel's topics."
    ),
    "trigger": LazyCommand(
        "orchestrator.cli.triggers:trigger_group",
        "List and control triggers (schedules, flow triggers, webhooks).",
    ),
    "webserver": LazyCommand(
        f"{_SERVICES}:webserver_command", "Serve the REST API (Kestra's /api/v1/main/...)."
    ),
    "worker": LazyCommand(
        f"{_SERVICES}:worker_command",
        "Run a worker: runs task runs and reports results, logs and heartbeats.",
    ),
}
"""The top-level commands; their one-line helps are checked against the commands' own."""


@click.group(
    cls=LazyGroup,
    lazy_commands=COMMANDS,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.version_option(package_name="kestrelflow", prog_name="kestrel")
def cli() -> None:
    """Kestrel: a Kafka-native workflow orchestrator."""


def main() -> None:
    """Entry point of the ``kestrel`` console script."""
    cli()
