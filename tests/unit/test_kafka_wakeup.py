"""The pure parts of waking resting consumers: bells, the resting registry, `moved`."""

from __future__ import annotations

from orchestrator.kafka.wakeup import Bell, Sleepers, moved


def test_moved_when_an_end_differs_or_is_unknown() -> None:
    baseline = {("t", 0): 5, ("t", 1): 0}
    assert not moved(baseline, {("t", 0): 5, ("t", 1): 0, ("u", 0): 9})
    assert moved(baseline, {("t", 0): 6, ("t", 1): 0})
    assert moved(baseline, {("t", 0): 5})  # no answer for ("t", 1): cannot tell


def test_a_produce_rings_only_the_gates_resting_on_its_topic() -> None:
    sleepers = Sleepers()
    kills, beats, both = Bell(), Bell(), Bell()
    sleepers.rest(kills, {("kills", 0): 1, ("kills", 1): 0})
    sleepers.rest(beats, {("beats", 0): 3})
    sleepers.rest(both, {("kills", 0): 1, ("beats", 0): 3})
    assert sleepers.ring_topics(["kills"]) == 2
    assert kills.rang() and both.rang() and not beats.rang()
    assert sleepers.ring_topics(["flows"]) == 0


def test_a_gate_that_left_is_neither_rung_nor_probed() -> None:
    sleepers = Sleepers()
    bell = Bell()
    sleepers.rest(bell, {("kills", 0): 1})
    sleepers.leave(bell)
    assert sleepers.ring_topics(["kills"]) == 0 and not bell.rang()
    assert sleepers.snapshot() == {} and len(sleepers) == 0


def test_resting_again_replaces_the_baseline() -> None:
    sleepers = Sleepers()
    bell = Bell()
    sleepers.rest(bell, {("kills", 0): 1})
    sleepers.rest(bell, {("beats", 0): 2})
    assert sleepers.snapshot() == {bell: {("beats", 0): 2}}
    assert sleepers.ring_topics(["kills"]) == 0


def test_a_bell_remembers_a_ring_until_cleared() -> None:
    bell = Bell()
    bell.ring()
    assert bell.wait(0) and bell.rang() and bell.rings == 1
    bell.clear()
    assert not bell.rang() and not bell.wait(0)
