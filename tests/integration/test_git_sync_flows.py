"""``git.SyncFlows`` deploys a repository's flows through the embedded Kafka."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from plugin_context import run_task

from orchestrator.control import TopicFlows, publish_flows
from orchestrator.kafka import ensure_topics
from orchestrator.settings import KestrelSettings
from plugins.git import GitTaskError

pytestmark = pytest.mark.integration
ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@x",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@x",
}
FLOW = (
    "id: {id}\nnamespace: ignored\ntasks:\n"
    "  - id: log\n    type: io.kestra.plugin.core.log.Log\n    message: {message}\n"
)


def git(*args: str, cwd: Path) -> None:
    subprocess.run(["git", *args], cwd=cwd, env=ENV, check=True, capture_output=True)


def repository(tmp_path: Path, files: dict[str, str]) -> str:
    work = tmp_path / "repo"
    git("init", "--quiet", "--initial-branch=main", str(work), cwd=tmp_path)
    for name, text in files.items():
        (work / name).parent.mkdir(parents=True, exist_ok=True)
        (work / name).write_text(text)
    git("add", ".", cwd=work)
    git("commit", "--quiet", "-m", "flows", cwd=work)
    return f"file://{work}"


@pytest.fixture
def kestrel_env(settings: KestrelSettings, monkeypatch: pytest.MonkeyPatch) -> KestrelSettings:
    """The task's `load_settings()` reads the test's Kafka from the environment."""
    monkeypatch.setenv("KESTREL_CONFIG", "")
    monkeypatch.setenv("KESTREL_KAFKA_BOOTSTRAP", settings.kafka.bootstrap)
    monkeypatch.setenv("KESTREL_KAFKA__TOPIC_PREFIX", settings.kafka.topic_prefix)
    monkeypatch.setenv("KESTREL_KAFKA__PARTITIONS", str(settings.kafka.partitions))
    ensure_topics(settings)
    return settings


def test_sync_flows_deploys_updates_and_deletes(
    tmp_path: Path, kestrel_env: KestrelSettings
) -> None:
    flows = TopicFlows(kestrel_env)
    publish_flows(
        kestrel_env,
        flows,
        [("stale", FLOW.format(id="stale", message="x").replace("ignored", "company.team"))],
    )
    publish_flows(
        kestrel_env,
        flows,
        [("other", FLOW.format(id="other", message="x").replace("ignored", "company.other"))],
    )
    url = repository(
        tmp_path,
        {
            "flows/hello.yml": FLOW.format(id="hello", message="v1"),
            "flows/sales/report.yaml": FLOW.format(id="report", message="v1"),
            "flows/notes.md": "not a flow",
        },
    )
    definition = {
        "type": "io.kestra.plugin.git.SyncFlows",
        "url": url,
        "gitDirectory": "flows",
        "targetNamespace": "company.team",
        "includeChildNamespaces": True,
        "delete": True,
    }
    dry = run_task({**definition, "dryRun": True}, tmp_path)["flows"]
    assert {(f["namespace"], f["flowId"], f["syncState"]) for f in dry} == {
        ("company.team", "hello", "ADDED"),
        ("company.team.sales", "report", "ADDED"),
        ("company.team", "stale", "DELETED"),
    }
    assert "company.team/hello" not in TopicFlows(kestrel_env).records()
    run_task(definition, tmp_path)
    records = TopicFlows(kestrel_env).records()
    assert records["company.team/hello"].revision == 1
    assert "namespace: company.team\n" in records["company.team/hello"].source
    assert records["company.team.sales/report"].flow["namespace"] == "company.team.sales"
    assert records["company.team/stale"].deleted
    assert not records["company.other/other"].deleted
    again = run_task(definition, tmp_path)["flows"]
    assert {f["syncState"] for f in again} == {"UNCHANGED"}


def test_an_invalid_flow_in_git_deploys_nothing(
    tmp_path: Path, kestrel_env: KestrelSettings
) -> None:
    url = repository(
        tmp_path,
        {
            "_flows/good.yml": FLOW.format(id="good", message="ok"),
            "_flows/bad.yml": "id: bad\nnamespace: x\ntasks: [{id: t, type: no.such.Type}]\n",
        },
    )
    with pytest.raises(GitTaskError, match=r"task 't' .*no.such.Type"):
        run_task(
            {
                "type": "io.kestra.plugin.git.SyncFlows",
                "url": url,
                "targetNamespace": "company.bad",
            },
            tmp_path,
        )
    assert "company.bad/good" not in TopicFlows(kestrel_env).records()


def test_push_flows_commits_the_deployed_flows(
    tmp_path: Path, kestrel_env: KestrelSettings
) -> None:
    flows = TopicFlows(kestrel_env)
    for namespace, flow_id in (("company.push", "a"), ("company.push.sub", "b"), ("other", "c")):
        source = FLOW.format(id=flow_id, message="x").replace("ignored", namespace)
        publish_flows(kestrel_env, flows, [(flow_id, source)])
    bare = tmp_path / "remote.git"
    git("init", "--quiet", "--bare", "--initial-branch=main", str(bare), cwd=tmp_path)
    seed = repository(tmp_path, {"README.md": "flows\n"})
    git("push", "--quiet", f"file://{bare}", "main", cwd=Path(seed.removeprefix("file://")))
    pushed = run_task(
        {
            "type": "io.kestra.plugin.git.PushFlows",
            "url": f"file://{bare}",
            "sourceNamespace": "company.push",
            "includeChildNamespaces": True,
            "commitMessage": "backup",
        },
        tmp_path,
    )
    assert pushed["diff"] == [
        {"path": "a.yml", "state": "ADDED"},
        {"path": "sub/b.yml", "state": "ADDED"},
    ]
    check = tmp_path / "check"
    git("clone", "--quiet", f"file://{bare}", str(check), cwd=tmp_path)
    assert "namespace: company.push.sub" in (check / "_flows" / "sub" / "b.yml").read_text()
    assert not (check / "_flows" / "c.yml").exists()
