"""Pausing the worker's partitions while every slot is busy.

A worker with no free slot must still call ``poll``: librdkafka evicts a member that does
not poll within ``max.poll.interval.ms``, and rebalances and errors are served by ``poll``.
So its assigned partitions are paused (a paused partition returns no records, and records
already fetched for it are dropped by librdkafka and fetched again on resume, from the
next offset the worker has not consumed: nothing is lost or read twice) and the loop keeps
polling.

librdkafka keeps a partition's pause across a rebalance: a partition revoked while paused
comes back paused, even to a member that has long resumed, and would then never be read.
So a partition leaving this member is resumed first (in the revoke callback, while it is
still assigned; nothing is fetched before it is unassigned). Partitions arriving while
every slot is busy are paused on the next turn of the loop.
"""

from __future__ import annotations

import logging

from orchestrator.kafka import KafkaConsumer, TopicPartition

log = logging.getLogger("kestrel.worker")


def _key(partition: TopicPartition) -> tuple[str, int]:
    return partition.topic, partition.partition


class Intake:
    """Which assigned partitions the worker paused, and the calls that change it."""

    def __init__(self, consumer: KafkaConsumer) -> None:
        """Control ``consumer``'s assigned partitions."""
        self._consumer = consumer
        self._paused: set[tuple[str, int]] = set()

    @property
    def paused(self) -> bool:
        """Whether some partitions are paused."""
        return bool(self._paused)

    def pause(self) -> None:
        """Pause every assigned partition not paused yet (new ones after a rebalance)."""
        new = [tp for tp in self._consumer.assignment() if _key(tp) not in self._paused]
        if new:
            self._consumer.pause(new)
            self._paused.update(_key(tp) for tp in new)

    def resume(self) -> None:
        """Fetch the paused partitions again (those still assigned)."""
        if not self._paused:
            return
        mine = [tp for tp in self._consumer.assignment() if _key(tp) in self._paused]
        self._paused.clear()
        if mine:
            self._consumer.resume(mine)

    def release(self, partitions: list[TopicPartition]) -> None:
        """Resume ``partitions``, which leave this member (the revoke callback).

        The pause would otherwise come back with them at a later assignment.
        """
        leaving = [tp for tp in partitions if _key(tp) in self._paused]
        self._paused.difference_update(_key(tp) for tp in partitions)
        if not leaving:
            return
        try:
            self._consumer.resume(leaving)
        except Exception as exc:  # an error raised here would surface from poll()
            log.warning("could not resume partitions leaving this worker: %s", exc)


__all__ = ["Intake"]
