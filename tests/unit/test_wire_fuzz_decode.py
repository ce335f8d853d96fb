"""Generated wire messages on every consumed topic: they decode, or raise DeserializationError.

The services decode every record through ``Record.decoded`` / ``decoded_value`` /
``key_str`` (and a restore through the same adapters): any other exception would escape
their dead-letter handling and stop them. The dead letter of any such record must itself
be a valid ``dead-letters`` value.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from wire_fuzz import CONSUMED, SAMPLES, keys, values

from orchestrator.kafka import TOPICS, DeserializationError, Record, TopicSpec, dead_letter, encode

BROKER_MAX = 1_048_588  # Kafka's (and the embedded broker's) default max.message.bytes
RECORD_OVERHEAD = 100  # a record batch of one record: batch header, record header
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _record(spec: TopicSpec[Any], key: bytes | None, value: bytes | None) -> Record:
    return Record(topic=f"kestrel.{spec.logical}", partition=1, offset=42, key=key, value=value)


@pytest.mark.parametrize("spec", CONSUMED, ids=lambda spec: spec.logical)
@FUZZ
@given(data=st.data())
def test_generated_value_decodes_or_raises_deserialization_error(
    spec: TopicSpec[Any], data: st.DataObject
) -> None:
    record = _record(spec, data.draw(keys), data.draw(values(spec)))
    for decode in (record.decoded, record.decoded_value):
        try:
            decode(spec)
        except DeserializationError as exc:
            assert exc.topic == record.topic and exc.offset == 42
            assert str(exc)
    with contextlib.suppress(DeserializationError):
        assert record.key_str is None or isinstance(record.key_str, str)
    letter = dead_letter(record, "generated", "fuzz")
    assert TOPICS.dead_letters.adapter.validate_json(encode(letter)) == letter


@pytest.mark.parametrize("spec", CONSUMED, ids=lambda spec: spec.logical)
def test_every_sample_still_decodes(spec: TopicSpec[Any]) -> None:
    # The mutations start from these: if a sample stopped decoding, they would test nothing.
    assert _record(spec, b"k", json.dumps(SAMPLES[spec.logical]).encode()).decoded(spec)


def test_dead_letter_of_the_largest_record_fits_in_a_message() -> None:
    # As large as the broker takes by default (max.message.bytes 1048588, less the batch
    # overhead), as the chaos injector writes it; decoded the way the executor does.
    value = b'{"type":"create","padding":"' + b"x" * (BROKER_MAX - 600) + b'"}'
    record = _record(TOPICS.execution_commands, b"chaos-inject/oversized", value)
    assert len(value) + len(record.key or b"") + RECORD_OVERHEAD <= BROKER_MAX
    with pytest.raises(DeserializationError) as refused:
        record.decoded(TOPICS.execution_commands)
    letter = dead_letter(record, str(refused.value), "executor")
    assert len(encode(letter)) + len(record.key or b"") + RECORD_OVERHEAD <= BROKER_MAX
