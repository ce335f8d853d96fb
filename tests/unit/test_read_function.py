"""The ``read()`` template function: files of the flow's namespace only."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestrator.storage import LocalStorage
from orchestrator.templating import TemplateError, TemplateRenderer


def test_read_returns_text_of_a_namespace_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KESTREL_STORAGE__BASE_DIR", str(tmp_path))
    uri = LocalStorage(tmp_path).put("team/flow/x.txt", b"hello")
    other = LocalStorage(tmp_path).put("other/flow/x.txt", b"secret")
    renderer = TemplateRenderer()
    variables = {"flow": {"namespace": "team"}, "u": uri, "o": other}
    assert renderer.render("{{ read(u) }}", variables) == "hello"
    kestra = uri.replace("kestrel://", "kestra://")
    assert renderer.render(f"{{{{ read('{kestra}') }}}}", variables) == "hello"
    with pytest.raises(TemplateError, match="not a file of namespace 'team'"):
        renderer.render("{{ read(o) }}", variables)
    with pytest.raises(TemplateError, match="no file is stored"):
        renderer.render("{{ read('kestrel://team/none') }}", variables)
    # A path that is not a URI is a namespace file (kestrel namespace files upload).
    with pytest.raises(TemplateError, match="no file is stored at kestrel://team/_files/data"):
        renderer.render("{{ read('data/file.csv') }}", variables)


def test_read_takes_a_namespace_file_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from orchestrator.namespace_files import put_file

    monkeypatch.setenv("KESTREL_STORAGE__BASE_DIR", str(tmp_path))
    put_file(LocalStorage(tmp_path), "team", "queries/q.sql", b"select 1")
    renderer = TemplateRenderer()
    variables = {"flow": {"namespace": "team"}}
    assert renderer.render("{{ read('queries/q.sql') }}", variables) == "select 1"
    with pytest.raises(TemplateError, match="not allowed"):
        renderer.render("{{ read('../other/_files/x') }}", variables)
