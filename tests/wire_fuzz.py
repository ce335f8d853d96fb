"""Hypothesis strategies for wire messages: what a hostile or buggy producer could write.

For every registry topic: arbitrary bytes, arbitrary JSON, a valid message of the topic with
one field mutated, removed or added, a wrong ``type``, a huge string, invalid UTF-8 spliced
into valid JSON. Shared by the unit fuzz test (the decode path) and the integration one (a
burst on a running server).
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st
from kafka_samples import every_message

from orchestrator.kafka import TOPICS, TopicSpec

SAMPLES = {spec.logical: value.to_json_dict() for spec, _, value in every_message()}
CONSUMED = [spec for spec in TOPICS if spec is not TOPICS.dead_letters]
"""Topics a service consumes (``kv``: the indexer checks it)."""

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=40),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=12), children, max_size=5)
    ),
    max_leaves=20,
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*prefix, index))
    return found


def _set(value: Any, path: tuple[Any, ...], new: Any, delete: bool = False) -> Any:
    if not path:
        return new
    copy = dict(value) if isinstance(value, dict) else list(value)
    head, rest = path[0], path[1:]
    if delete and not rest:
        del copy[head]
    else:
        copy[head] = _set(copy[head], rest, new, delete)
    return copy


@st.composite
def mutated(draw: st.DrawFn, spec: TopicSpec[Any]) -> bytes:
    """A valid message of ``spec``'s topic with one field changed, removed, or one added."""
    sample = SAMPLES[spec.logical]
    path = draw(st.sampled_from(_paths(sample)))
    how = draw(st.sampled_from(["replace", "delete", "add", "huge"]))
    if how == "delete":
        changed = _set(sample, path, None, delete=True)
    elif how == "add":
        changed = {**sample, draw(st.text(min_size=1, max_size=12)): draw(json_values)}
    elif how == "huge":
        changed = _set(sample, path, "é" * draw(st.integers(10_000, 300_000)))
    else:
        changed = _set(sample, path, draw(json_values))
    return json.dumps(changed, ensure_ascii=False).encode()


@st.composite
def wrong_type(draw: st.DrawFn, spec: TopicSpec[Any]) -> bytes:
    kind = draw(st.text(max_size=20) | st.integers() | st.none() | st.lists(st.text(), max_size=2))
    return json.dumps({**SAMPLES[spec.logical], "type": kind}).encode()


@st.composite
def bad_utf8(draw: st.DrawFn, spec: TopicSpec[Any]) -> bytes:
    data = json.dumps(SAMPLES[spec.logical], ensure_ascii=False).encode()
    at = draw(st.integers(0, len(data)))
    junk = draw(st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\x80\x80", b"\x00"]))
    return data[:at] + junk + data[at:]


def values(spec: TopicSpec[Any]) -> st.SearchStrategy[bytes]:
    """Any of the generated values for ``spec``'s topic."""
    return st.one_of(
        st.binary(max_size=200),
        json_values.map(lambda v: json.dumps(v).encode()),
        mutated(spec),
        wrong_type(spec),
        bad_utf8(spec),
    )


keys = st.none() | st.binary(max_size=40) | st.text(max_size=40).map(str.encode)
