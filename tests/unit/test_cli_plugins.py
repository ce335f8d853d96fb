"""``kestrel plugins list|doc``."""

from __future__ import annotations

import json

from click.testing import CliRunner

from orchestrator.cli.main import cli


def test_list_names_every_type_by_its_kestra_name() -> None:
    result = CliRunner().invoke(cli, ["plugins", "list", "--json"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines()]
    first_names = {row["names"][0] for row in rows}
    for name in (
        "io.kestra.plugin.core.http.Request",
        "io.kestra.plugin.core.kv.Set",
        "io.kestra.plugin.scripts.python.Script",
        "io.kestra.plugin.core.flow.WorkingDirectory",
        "io.kestra.plugin.core.trigger.Schedule",
    ):
        assert name in first_names
    assert all(row["summary"] for row in rows if row["names"][0].startswith("io.kestra.plugin"))


def test_doc_prints_properties_with_descriptions_and_a_schema() -> None:
    result = CliRunner().invoke(cli, ["plugins", "doc", "io.kestra.plugin.core.http.Download"])
    assert result.exit_code == 0, result.output
    assert "Download a file to the internal storage" in result.output
    assert "uri (required)  The URL to call (rendered)." in result.output
    schema = CliRunner().invoke(cli, ["plugins", "doc", "io.kestra.plugin.core.kv.Get", "--schema"])
    properties = json.loads(schema.output)["properties"]
    assert properties["errorOnMissing"]["description"].startswith("Fail when")
    unknown = CliRunner().invoke(cli, ["plugins", "doc", "io.kestra.plugin.core.kv.Sett"])
    assert (
        unknown.exit_code == 1 and "did you mean 'io.kestra.plugin.core.kv.Set'" in unknown.output
    )
