"""``io.kestra.plugin.aws.s3.Trigger``: start an execution when objects appear in a bucket.

Each poll lists the bucket; the objects found are downloaded to the internal storage
(``<namespace>/<flow>/triggers/<trigger>/<poll>/<key>``), then moved or deleted as
``action`` says so that the next poll does not find them again, and one execution starts
with ``trigger.objects`` (each object's ``key``, ``size``... and ``uri``, the stored copy).
"""

from __future__ import annotations

import tempfile
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any, ClassVar

from pydantic import Field

from orchestrator.models.duration import Duration
from orchestrator.scheduler.polling import Poll, PollContext, PollingTrigger
from plugins.aws.connection import AwsConnection, s3_errors
from plugins.aws.objects import Action, Filter, MoveTo, after_download, download, list_objects


class Trigger(PollingTrigger, AwsConnection):
    """Poll ``bucket`` every ``interval``; one execution for the objects found.

    Example:
        ```yaml
        triggers:
          - id: new_files
            type: io.kestra.plugin.aws.s3.Trigger
            interval: PT5M
            bucket: my-bucket
            prefix: incoming/
            action: MOVE
            moveTo:
              key: archive/
        ```
    """

    type_name: ClassVar[str] = "io.kestra.plugin.aws.s3.Trigger"

    interval: Duration = Field(default=timedelta(seconds=60))
    """Time between two polls."""
    bucket: str
    """The bucket."""
    prefix: str | None = None
    """Only keys starting with it."""
    delimiter: str | None = None
    """Groups keys (S3's delimiter)."""
    regexp: str | None = None
    """Only keys matching it (whole key)."""
    max_keys: int = Field(default=1000, ge=1)
    """Objects per poll at most."""
    filter: Filter = "FILES"
    """FILES, DIRECTORY or BOTH."""
    action: Action
    """What to do with each object once downloaded (NONE: it fires again next poll)."""
    move_to: MoveTo | None = None
    """Where MOVE puts them."""

    def evaluate(self, context: PollContext) -> list[Poll]:
        """List, download and move the new objects; one `Poll` if there are any.

        Raises:
            AwsTaskError: S3 refused a request or is unreachable (the scheduler logs it
                and polls again at the next interval).
        """
        from orchestrator.settings import load_settings
        from orchestrator.storage import LocalStorage

        variables = {"flow": {"namespace": context.ref.namespace, "id": context.ref.flow_id}}

        def render(value: Any, name: str) -> str:
            return str(
                context.renderer.render(value, variables, task_id=self.id, property_path=name)
            )

        where = f"trigger '{self.id}' ({self.type_name})"
        bucket = render(self.bucket, "bucket")
        client = self.s3_client(render, self.type_name)
        endpoint = (
            None
            if self.endpoint_override is None
            else render(self.endpoint_override, "endpointOverride")
        )
        storage = LocalStorage.from_settings(load_settings().storage)
        folder = (
            f"{context.ref.namespace}/{context.ref.flow_id}/triggers/{self.id}/{uuid.uuid4().hex}"
        )
        objects = []
        with s3_errors(where, f"s3://{bucket}", endpoint), tempfile.TemporaryDirectory() as scratch:
            found = list(
                list_objects(
                    client,
                    bucket,
                    prefix=None if self.prefix is None else render(self.prefix, "prefix"),
                    delimiter=self.delimiter,
                    max_keys=self.max_keys,
                    regexp=self.regexp,
                    kind=self.filter,
                )
            )
            for item in found:
                if item["key"].endswith("/"):
                    objects.append(item)
                    continue
                local = Path(scratch) / "object"
                download(client, bucket, item["key"], local)
                with local.open("rb") as stream:
                    item["uri"] = storage.put(f"{folder}/{item['key']}", stream)
                after_download(client, bucket, item["key"], self.action, self.move_to)
                objects.append(item)
        return [Poll({"objects": objects})] if objects else []


__all__ = ["Trigger"]
