"""KV tasks and the kv() function on the in-memory store."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from plugin_context import run_task

from orchestrator.kv import KvEntry, KvType, MemoryKvStore, set_default_store
from orchestrator.kv.store import KvError
from orchestrator.models.state import utcnow
from orchestrator.plugin import TaskFailedError
from orchestrator.templating import TemplateError, TemplateRenderer

KV = "io.kestra.plugin.core.kv."


@pytest.fixture(autouse=True)
def store() -> Iterator[MemoryKvStore]:
    memory = MemoryKvStore()
    previous = set_default_store(memory)
    yield memory
    set_default_store(previous)


def test_set_types_values_and_get_reads_them(tmp_path: Path, store: MemoryKvStore) -> None:
    cases = [
        ({"value": "{{ 2 * 21 }}", "kvType": "NUMBER"}, 42, KvType.NUMBER),
        ({"value": "true", "kvType": "BOOLEAN"}, True, KvType.BOOLEAN),
        ({"value": '{"a": 1}', "kvType": "JSON"}, {"a": 1}, KvType.JSON),
        ({"value": "P1D", "kvType": "DURATION"}, "P1D", KvType.DURATION),
        ({"value": "2024-01-31", "kvType": "DATE"}, "2024-01-31", KvType.DATE),
        ({"value": "plain"}, "plain", KvType.STRING),
    ]
    for index, (properties, value, kind) in enumerate(cases):
        run_task({"type": KV + "Set", "key": f"k{index}", **properties}, tmp_path)
        entry = store.get("company.team", f"k{index}")
        assert entry is not None and (entry.value, entry.kv_type) == (value, kind)
        got = run_task({"type": KV + "Get", "key": f"k{index}"}, tmp_path)
        assert got == {"value": value}
    with pytest.raises(TaskFailedError, match="is not a NUMBER"):
        run_task({"type": KV + "Set", "key": "bad", "value": "x", "kvType": "NUMBER"}, tmp_path)


def test_overwrite_false_refuses_an_existing_key(tmp_path: Path) -> None:
    run_task({"type": KV + "Set", "key": "k", "value": "1"}, tmp_path)
    with pytest.raises(TaskFailedError, match="Key already exists"):
        run_task({"type": KV + "Set", "key": "k", "value": "2", "overwrite": False}, tmp_path)


def test_ttl_expiry_and_other_namespaces(tmp_path: Path, store: MemoryKvStore) -> None:
    run_task(
        {"type": KV + "Set", "key": "k", "value": "v", "ttl": "PT1H", "namespace": "other"},
        tmp_path,
    )
    entry = store.get("other", "k")
    assert entry is not None and entry.expires is not None
    assert store.get("other", "k", now=entry.expires) is None
    assert store.list("other", now=entry.expires + timedelta(seconds=1)) == []
    assert run_task({"type": KV + "Get", "key": "k"}, tmp_path) == {"value": None}
    with pytest.raises(TaskFailedError, match="No value found for key 'k'"):
        run_task({"type": KV + "Get", "key": "k", "errorOnMissing": True}, tmp_path)


def test_get_keys_and_delete(tmp_path: Path) -> None:
    for key in ("a1", "a2", "b1"):
        run_task({"type": KV + "Set", "key": key, "value": key}, tmp_path)
    assert run_task({"type": KV + "GetKeys", "prefix": "a"}, tmp_path) == {"keys": ["a1", "a2"]}
    assert run_task({"type": KV + "Delete", "key": "a1"}, tmp_path) == {"deleted": True}
    assert run_task({"type": KV + "Delete", "key": "a1"}, tmp_path) == {"deleted": False}
    with pytest.raises(TaskFailedError):
        run_task({"type": KV + "Delete", "key": "a1", "errorOnMissing": True}, tmp_path)


def test_invalid_key_is_refused(store: MemoryKvStore) -> None:
    with pytest.raises(KvError, match="invalid key"):
        store.put(KvEntry(namespace="n", key="a/b", value=1))


def test_kv_function(store: MemoryKvStore) -> None:
    store.put(KvEntry(namespace="team", key="k", value={"x": 1}, kv_type=KvType.JSON))
    store.put(
        KvEntry(namespace="team", key="old", value=1, expires=utcnow() - timedelta(seconds=1))
    )
    renderer = TemplateRenderer()
    variables = {"flow": {"namespace": "team"}}
    assert renderer.render("{{ kv('k').x }}", variables) == "1"
    assert renderer.render("{{ kv('k', 'team').x }}", {}) == "1"
    assert renderer.render("{{ kv('old', errorOnMissing=false) ?? 'gone' }}", variables) == "gone"
    with pytest.raises(TemplateError, match="no value for key 'old'"):
        renderer.render("{{ kv('old') }}", variables)


def test_purge_kv_removes_expired_pairs_of_the_namespaces(
    tmp_path: Path, store: MemoryKvStore
) -> None:
    past = utcnow() - timedelta(seconds=1)
    for namespace in ("company", "company.team", "other"):
        store.put(KvEntry(namespace=namespace, key="old", value=1, expires=past))
        store.put(KvEntry(namespace=namespace, key="live", value=1))
    outputs = run_task(
        {"type": KV + "PurgeKV", "namespaces": ["company"], "expiredOnly": True}, tmp_path
    )
    assert outputs == {"size": 2}
    left = sorted((entry.namespace, entry.key) for entry in store.entries())
    assert left == [
        ("company", "live"),
        ("company.team", "live"),
        ("other", "live"),
        ("other", "old"),
    ]
    everything = run_task(
        {"type": KV + "PurgeKV", "expiredOnly": False, "keyPattern": "l*"}, tmp_path
    )
    assert everything == {"size": 3}
