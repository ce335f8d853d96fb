"""Dead letters of the indexer: records it cannot decode, documents Elasticsearch refuses."""

from __future__ import annotations

import logging

from orchestrator.kafka import TOPICS, KafkaError, KafkaProducer, Record, dead_letter, encode
from orchestrator.models.messages import DeadLetter
from orchestrator.settings import KestrelSettings

LOGGER = logging.getLogger("kestrel.indexer")
SERVICE = "indexer"
_HEADROOM = 4096


def build_dead_letters(failures: list[tuple[Record, str]], max_bytes: int) -> list[DeadLetter]:
    """One dead letter per failed record (its first reason), each fitting in ``max_bytes``.

    A record whose value and reason would not fit keeps its coordinates (topic, partition,
    offset), enough to find it again, and leaves the value out.
    """
    unique: dict[tuple[str, int, int], tuple[Record, str]] = {}
    for record, reason in failures:
        unique.setdefault((record.topic, record.partition, record.offset), (record, reason))
    letters = []
    for record, reason in unique.values():
        LOGGER.warning(
            "record %s [%d] @%d goes to dead letters: %s",
            record.topic,
            record.partition,
            record.offset,
            reason,
        )
        letter = dead_letter(record, reason, SERVICE)
        if len(encode(letter)) > max_bytes - _HEADROOM:
            note = " (value left out: too large for a dead letter)"
            letter = letter.model_copy(update={"value": None, "error": letter.error + note})
        letters.append(letter)
    return letters


class DeadLetterSink:
    """Produces dead letters to ``dead-letters`` under their original key."""

    def __init__(self, settings: KestrelSettings) -> None:
        """Produce with ``settings``; the producer is made at the first letter."""
        self._settings = settings
        self._producer: KafkaProducer | None = None

    def send(self, letters: list[DeadLetter]) -> None:
        """Produce ``letters`` and wait until Kafka acknowledged every one.

        Raises:
            KafkaError: Kafka did not take them (the caller retries; nothing is committed).
        """
        if not letters:
            return
        if self._producer is None:
            self._producer = KafkaProducer(self._settings, client_id="kestrel-indexer")
        for letter in letters:
            self._producer.send(TOPICS.dead_letters, letter.key or "", letter)
        self._producer.flush()

    def close(self) -> None:
        """Deliver what is queued and let the producer go."""
        if self._producer is not None:
            try:
                self._producer.close()
            except KafkaError as exc:
                LOGGER.warning("closing the dead-letter producer failed: %s", exc)
            self._producer = None
