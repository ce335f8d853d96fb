from __future__ import annotations

import base64
import json
import typing
from typing import Any

import pytest
from kafka_samples import EXECUTION_ID, every_message, execution_commands

from orchestrator.kafka import (
    TOPICS,
    DeserializationError,
    Record,
    TopicSpec,
    dead_letter,
    decode,
    decode_key,
    decode_or_tombstone,
    encode,
    encode_key,
)
from orchestrator.models import KestrelModel
from orchestrator.models.messages import ExecutionCommand, KillExecution, LogEntry

SAMPLES = every_message()


def sample_id(sample: tuple[TopicSpec[Any], str, KestrelModel]) -> str:
    return f"{sample[0].logical}-{sample[2].type}"  # type: ignore[attr-defined]


def test_samples_cover_every_topic_and_command() -> None:
    assert {spec.logical for spec, _, _ in SAMPLES} == {spec.logical for spec in TOPICS}
    command_types = {command.type for command in execution_commands()}  # type: ignore[attr-defined]
    union = typing.get_args(typing.get_args(ExecutionCommand)[0])
    declared = {model.model_fields["type"].default for model in union}
    assert len(declared) == 11 and {"worker-lost", "slot", "labels"} <= declared
    assert command_types == declared


@pytest.mark.parametrize("sample", SAMPLES, ids=sample_id)
def test_round_trip(sample: tuple[TopicSpec[Any], str, KestrelModel]) -> None:
    spec, _, model = sample
    data = encode(model)
    decoded = decode(spec, data)
    assert decoded == model
    assert type(decoded) is type(model)
    wire = json.loads(data)
    assert wire["type"] == model.type  # type: ignore[attr-defined]
    assert wire["version"] == 1


def test_encoding_is_compact_utf8_camel_case() -> None:
    log = LogEntry(execution_id="e", namespace="n", flow_id="f", message="Héllo ✓")
    data = encode(log)
    assert b", " not in data and b": " not in data
    assert "Héllo ✓".encode() in data  # raw UTF-8, not \u escapes
    assert b'"executionId":"e"' in data
    assert b"taskId" not in data  # unset optionals left out


def test_commands_decode_to_their_own_class() -> None:
    command = decode(TOPICS.execution_commands, encode(KillExecution(execution_id="e1")))
    assert isinstance(command, KillExecution)
    assert command.execution_id == "e1"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"{not json", "Invalid JSON"),
        (b"\xff\xfe\x00garbage", "Invalid JSON"),
        (b'{"type":"kill","version":1}', "executionId: Field required"),
        (b'{"type":"kill","executionId":"e","surprise":1}', "surprise: Extra inputs"),
        (b'{"type":"log","executionId":"e"}', "does not match any of the expected tags"),
    ],
)
def test_bad_bytes(data: bytes, reason: str) -> None:
    with pytest.raises(DeserializationError) as caught:
        decode(
            TOPICS.execution_commands if b'"log"' in data else TOPICS.kills,
            data,
            topic="kestrel.kills",
            partition=2,
            offset=17,
        )
    error = caught.value
    assert reason in error.reason
    assert (error.topic, error.partition, error.offset) == ("kestrel.kills", 2, 17)
    assert "kestrel.kills [2] @17" in str(error)


def test_tombstones() -> None:
    assert decode_or_tombstone(TOPICS.flows, None) is None
    with pytest.raises(DeserializationError, match="unexpected tombstone"):
        decode(TOPICS.flows, None)


def test_keys() -> None:
    assert encode_key("company.team/hello") == b"company.team/hello"
    assert decode_key("namespäce/flow".encode()) == "namespäce/flow"
    assert decode_key(None) is None
    with pytest.raises(DeserializationError, match="key is not UTF-8"):
        decode_key(b"\xff", topic="t", partition=0, offset=1)


def test_record_helpers() -> None:
    value = encode(KillExecution(execution_id=EXECUTION_ID))
    record = Record(
        "kestrel.execution-commands", 1, 5, EXECUTION_ID.encode(), value, 1000, (("trace", b"abc"),)
    )
    assert record.key_str == EXECUTION_ID
    assert record.decoded_value(TOPICS.execution_commands) == KillExecution(
        execution_id=EXECUTION_ID
    )
    assert record.header("trace") == b"abc" and record.header("nope") is None
    tombstone = Record("kestrel.flows", 0, 6, b"k", None)
    assert tombstone.is_tombstone and tombstone.decoded(TOPICS.flows) is None


def test_dead_letter_keeps_text_values() -> None:
    record = Record("kestrel.worker-results", 3, 99, b"exec-1", b'{"type":"nope"}')
    error = DeserializationError("bad", topic=record.topic, partition=3, offset=99)
    letter = dead_letter(record, error, "executor")
    assert (letter.topic, letter.partition, letter.offset) == ("kestrel.worker-results", 3, 99)
    assert letter.key == "exec-1"
    assert letter.value == '{"type":"nope"}' and letter.value_encoding == "utf-8"
    assert letter.error.startswith("DeserializationError: cannot decode")
    assert letter.service == "executor"
    assert decode(TOPICS.dead_letters, encode(letter)) == letter


def test_dead_letter_base64_for_binary_values() -> None:
    raw = b"\x00\xff\x10binary"
    letter = dead_letter(Record("t", 0, 1, None, raw), "not UTF-8", "indexer")
    assert letter.value_encoding == "base64"
    assert base64.b64decode(letter.value or "") == raw
    assert letter.key is None and letter.error == "not UTF-8"


@pytest.mark.parametrize("sample", every_message(), ids=sample_id)
def test_the_one_pass_wire_form_is_the_json_of_the_json_dict(
    sample: tuple[TopicSpec[Any], str, KestrelModel],
) -> None:
    _, _, value = sample
    assert (
        value.to_wire()
        == json.dumps(value.to_json_dict(), separators=(",", ":"), ensure_ascii=False).encode()
    )
