"""The scheduler through the real broker: slots fired exactly once, across kill -9.

Scheduler, executor and worker run as separate processes (tests/runtime_helpers.py); a
killed scheduler is restarted with the same instance id (BACKENDS.md: static membership).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from runtime_helpers import Cluster, kestrel_cli
from scheduler_helpers import FiredWatcher, assert_each_slot_once, write_flow

from orchestrator.cli.deploy import deploy_files
from orchestrator.kafka import TOPICS, KafkaProducer, ensure_topics
from orchestrator.models.messages import TriggerState
from orchestrator.settings import KestrelSettings

pytestmark = pytest.mark.integration

EVERY_SECOND = """id: {flow_id}
namespace: tests.scheduler
tasks:
  - id: hello
    type: io.kestra.plugin.core.log.Log
    message: "slot {{{{ trigger.date }}}}"
triggers:
  - id: every-second
    type: io.kestra.plugin.core.trigger.Schedule
    cron: "* * * * * *"
    withSeconds: true
"""


@pytest.fixture
def cluster(settings: KestrelSettings, tmp_path: Path) -> Iterator[Cluster]:
    ensure_topics(settings)
    running = Cluster(settings, tmp_path)
    yield running
    running.stop()


@pytest.fixture
def fired(settings: KestrelSettings) -> Iterator[FiredWatcher]:
    ensure_topics(settings)
    watching = FiredWatcher(settings)
    yield watching
    watching.close()


def _deploy_every_second(settings: KestrelSettings, tmp_path: Path, *flow_ids: str) -> None:
    for flow_id in flow_ids:
        write_flow(tmp_path / "flows", flow_id, EVERY_SECOND.format(flow_id=flow_id))
    deploy_files(settings, [tmp_path / "flows"])


def test_every_second_fires_each_slot_exactly_once(
    settings: KestrelSettings, tmp_path: Path, cluster: Cluster, fired: FiredWatcher
) -> None:
    """Over a 20-slot window (shorter than the issue's minute, to spare the shared CI)."""
    _deploy_every_second(settings, tmp_path, "ticker")
    cluster.start("executor", "executor-0")
    cluster.start("worker", "worker-0")
    cluster.start("scheduler", "scheduler-0")
    fired.wait(lambda: len(fired.fired("ticker")) >= 20, 90, "20 slots " + cluster.logs())
    assert_each_slot_once(fired.dates("ticker"))


def test_kill_9_of_the_scheduler_loses_and_repeats_no_slot(
    settings: KestrelSettings, tmp_path: Path, cluster: Cluster, fired: FiredWatcher
) -> None:
    _deploy_every_second(settings, tmp_path, "ticker")
    cluster.start("executor", "executor-0")
    cluster.start("worker", "worker-0")
    scheduler = cluster.start("scheduler", "scheduler-0")
    for round_ in range(2):
        target = len(fired.fired("ticker")) + 4
        fired.wait(
            lambda target=target: len(fired.fired("ticker")) >= target, 60, f"round {round_}"
        )
        scheduler.kill9()
        scheduler.start()
    target = len(fired.fired("ticker")) + 5
    fired.wait(lambda: len(fired.fired("ticker")) >= target, 60, "slots after the restarts")
    assert_each_slot_once(fired.dates("ticker"))


def test_two_schedulers_share_the_triggers_without_double_firing(
    settings: KestrelSettings, tmp_path: Path, cluster: Cluster, fired: FiredWatcher
) -> None:
    flows = [f"ticker-{index}" for index in range(6)]
    _deploy_every_second(settings, tmp_path, *flows)
    cluster.start("executor", "executor-0")
    cluster.start("worker", "worker-0")
    cluster.start("scheduler", "scheduler-a")
    cluster.start("scheduler", "scheduler-b")
    fired.wait(
        lambda: all(len(fired.fired(flow)) >= 8 for flow in flows), 120, "8 slots of each flow"
    )
    for flow in flows:
        assert_each_slot_once(fired.dates(flow))


HOURLY = """id: backfilled
namespace: tests.scheduler
tasks:
  - id: hello
    type: io.kestra.plugin.core.log.Log
    message: "slot {{ trigger.date }}"
triggers:
  - id: hourly
    type: io.kestra.plugin.core.trigger.Schedule
    cron: "0 * * * *"
"""


def test_backfill_of_500_slots_paused_resumed_and_killed_fires_each_once(
    settings: KestrelSettings, tmp_path: Path, cluster: Cluster, fired: FiredWatcher
) -> None:
    write_flow(tmp_path / "flows", "backfilled", HOURLY)
    deploy_files(settings, [tmp_path / "flows"])
    cluster.start("executor", "executor-0")
    cluster.start("worker", "worker-0")
    scheduler = cluster.start("scheduler", "scheduler-0")
    key = "tests.scheduler/backfilled/hourly"
    fired.wait(lambda: key in fired.states, 60, "the trigger's first state")
    args = ["tests.scheduler", "backfilled", "hourly"]
    result = kestrel_cli(
        settings,
        "trigger", "backfill", *args,
        "--start", "2024-01-01T00:00:00", "--end", "2024-01-21T19:00:00",
        "--label", "origin=backfill", "--input", "unused=1",
    )  # fmt: skip
    assert result.exit_code == 0, result.output

    def backfilled() -> list[str]:
        return [
            str(each.trigger.variables["date"])
            for each in fired.fired("backfilled")
            if each.trigger is not None and any(label.key == "origin" for label in each.labels)
        ]

    fired.wait(lambda: len(backfilled()) >= 100, 180, "100 backfilled slots")
    assert kestrel_cli(settings, "trigger", "backfill", "pause", *args).exit_code == 0

    def paused() -> bool:
        progress = fired.states[key].backfill
        return progress is not None and progress.paused

    fired.wait(paused, 30, "the backfill paused")
    progress = fired.states[key].backfill
    assert progress is not None
    # The state and the Creates are committed together: what the state says is what fired.
    assert len(backfilled()) == progress.fired
    listing = kestrel_cli(settings, "trigger", "list", "--namespace", "tests.scheduler")
    assert f"{progress.fired}/500" in listing.output and "paused" in listing.output
    assert kestrel_cli(settings, "trigger", "backfill", "resume", *args).exit_code == 0
    fired.wait(lambda: len(backfilled()) >= progress.fired + 100, 180, "100 more slots")
    scheduler.kill9()
    scheduler.start()
    fired.wait(lambda: len(backfilled()) >= 500, 300, "500 backfilled slots")
    fired.wait(
        lambda: (state := fired.states[key].backfill) is not None and state.next_date is None,
        30,
        "the backfill done",
    )
    dates = backfilled()
    assert len(dates) == 500
    assert_each_slot_once(dates, step_seconds=3600)
    assert dates[0] == "2024-01-01T00:00:00+00:00"
    assert dates[-1] == "2024-01-21T19:00:00+00:00"
    # In order: each Create was decided after the previous one (the watcher reads several
    # partitions, so the order it sees them in is not the order they were committed in).
    decided = sorted(
        (each.created, str(each.trigger.variables["date"]))
        for each in fired.fired("backfilled")
        if each.trigger is not None and any(label.key == "origin" for label in each.labels)
    )
    assert [date for _, date in decided] == sorted(dates)


def test_a_lock_on_an_execution_that_is_gone_is_released_on_restore(
    settings: KestrelSettings, tmp_path: Path, cluster: Cluster, fired: FiredWatcher
) -> None:
    """Kestra #14393, #8459: a trigger never stays locked to an execution that ended."""
    _deploy_every_second(settings, tmp_path, "ticker")
    key = "tests.scheduler/ticker/every-second"
    stale = TriggerState(
        namespace="tests.scheduler",
        flow_id="ticker",
        trigger_id="every-second",
        flow_revision=1,
        next_date=datetime.now(UTC),
        execution_id="an-execution-that-never-existed",
        fingerprint="* * * * * *|UTC|True",
        trigger_type="io.kestra.plugin.core.trigger.Schedule",
    )
    with KafkaProducer(settings) as producer:
        producer.send(TOPICS.triggers, key, stale)
        producer.flush()
    cluster.start("executor", "executor-0")
    cluster.start("worker", "worker-0")
    cluster.start("scheduler", "scheduler-0")
    fired.wait(lambda: len(fired.fired("ticker")) >= 3, 60, "slots after the unlock")
    listing = kestrel_cli(settings, "trigger", "list", "--json")
    assert key.split("/")[1] in listing.output


def test_trigger_cli_disable_enable_unlock_and_errors(
    settings: KestrelSettings, tmp_path: Path, cluster: Cluster, fired: FiredWatcher
) -> None:
    _deploy_every_second(settings, tmp_path, "ticker")
    cluster.start("scheduler", "scheduler-0")  # no executor: the trigger stays locked
    key = "tests.scheduler/ticker/every-second"
    args = ["tests.scheduler", "ticker", "every-second"]
    fired.wait(lambda: len(fired.fired("ticker")) == 1, 60, "the first slot")
    fired.wait(lambda: fired.states[key].execution_id is not None, 30, "the lock")
    listing = kestrel_cli(settings, "trigger", "list")
    assert fired.states[key].execution_id in listing.output  # locked-by
    assert kestrel_cli(settings, "trigger", "disable", *args).exit_code == 0
    fired.wait(lambda: fired.states[key].disabled, 30, "disabled")
    assert kestrel_cli(settings, "trigger", "unlock", *args).exit_code == 0
    fired.wait(lambda: fired.states[key].execution_id is None, 30, "unlocked")
    count = len(fired.fired("ticker"))
    assert kestrel_cli(settings, "trigger", "enable", *args).exit_code == 0
    fired.wait(lambda: len(fired.fired("ticker")) > count, 30, "a slot once enabled")
    unknown = kestrel_cli(settings, "trigger", "disable", "tests.scheduler", "ticker", "nope")
    assert unknown.exit_code != 0
    assert "has no trigger 'nope' (its triggers: every-second)" in unknown.output
    backfill = kestrel_cli(settings, "trigger", "backfill", "pause", *args)
    assert backfill.exit_code == 0  # accepted; the scheduler dead-letters it: no backfill


def test_a_changed_or_removed_trigger_is_picked_up_from_the_flows_topic(
    settings: KestrelSettings, tmp_path: Path, cluster: Cluster, fired: FiredWatcher
) -> None:
    _deploy_every_second(settings, tmp_path, "ticker")
    cluster.start("executor", "executor-0")
    cluster.start("worker", "worker-0")
    cluster.start("scheduler", "scheduler-0")
    key = "tests.scheduler/ticker/every-second"
    fired.wait(lambda: len(fired.fired("ticker")) >= 2, 60, "the first slots")
    every_two = EVERY_SECOND.format(flow_id="ticker").replace('"* * * * * *"', '"*/2 * * * * *"')
    write_flow(tmp_path / "flows", "ticker", every_two)
    deploy_files(settings, [tmp_path / "flows"])
    fired.wait(lambda: (fired.states[key].fingerprint or "").startswith("*/2"), 30, "the new cron")
    before = len(fired.fired("ticker"))
    fired.wait(lambda: len(fired.fired("ticker")) >= before + 3, 60, "slots of the new cron")
    later = fired.dates("ticker")[before + 1 :]  # the first one may have been decided before
    assert all(datetime.fromisoformat(date).second % 2 == 0 for date in later), later
    untriggered = every_two[: every_two.index("triggers:")]
    write_flow(tmp_path / "flows", "ticker", untriggered)
    deploy_files(settings, [tmp_path / "flows"])
    fired.wait(lambda: key not in fired.states, 30, "the trigger's state deleted")


def test_re_enabled_in_the_yaml_with_recover_none_fires_no_missed_slot(
    settings: KestrelSettings, tmp_path: Path, cluster: Cluster, fired: FiredWatcher
) -> None:
    """Kestra #6027: recoverMissedSchedules NONE was ignored after a re-enable."""
    key = "tests.scheduler/ticker/every-second"
    enabled = EVERY_SECOND.format(flow_id="ticker") + "    recoverMissedSchedules: NONE\n"
    disabled = enabled + "    disabled: true\n"
    for revision, text in enumerate((enabled, disabled), start=1):
        write_flow(tmp_path / "flows", "ticker", text)
        deploy_files(settings, [tmp_path / "flows"])
        if revision == 1:
            cluster.start("executor", "executor-0")
            cluster.start("worker", "worker-0")
            cluster.start("scheduler", "scheduler-0")
            fired.wait(lambda: len(fired.fired("ticker")) >= 2, 60, "the first slots")
        fired.wait(
            lambda r=revision: fired.states[key].flow_revision == r, 30, f"revision {revision}"
        )
    disabled_at = datetime.now(UTC)
    # Slots go by while the trigger is disabled (the condition waited on is the clock).
    fired.wait(lambda: (datetime.now(UTC) - disabled_at).total_seconds() > 4, 10, "4 s")
    before = len(fired.fired("ticker"))
    enabled_at = datetime.now(UTC)
    write_flow(tmp_path / "flows", "ticker", enabled)
    deploy_files(settings, [tmp_path / "flows"])
    fired.wait(lambda: len(fired.fired("ticker")) >= before + 2, 60, "slots once re-enabled")
    after = [datetime.fromisoformat(date) for date in fired.dates("ticker")[before:]]
    # One slot decided just before the disable was seen may land here; none of the ones
    # missed while disabled does (a second of grace: a slot that recent is on time).
    missed = [
        each
        for each in after
        if disabled_at + timedelta(seconds=1) < each < enabled_at - timedelta(seconds=1)
    ]
    assert not missed, missed
