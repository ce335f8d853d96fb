"""Kestra's ``io.kestra.plugin.aws.s3`` tasks: Upload, Download, Downloads, List, Delete."""

from __future__ import annotations

import json
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import Field

from orchestrator.plugin import StorageError, is_storage_uri
from orchestrator.tasks.base import RunnableTask
from plugins.aws.connection import AwsConnection, s3_errors
from plugins.aws.errors import AwsTaskError
from plugins.aws.objects import (
    Action,
    Filter,
    MoveTo,
    after_download,
    download,
    list_objects,
)

if TYPE_CHECKING:
    from orchestrator.plugin import RunContext


class S3Task(RunnableTask, AwsConnection):
    """A task on one S3 bucket."""

    type_name: ClassVar[str]

    bucket: str
    """The bucket."""

    def where(self, ctx: RunContext) -> str:
        """The task's id and type, for error messages."""
        return f"task '{ctx.task_run.task_id}' ({self.type_name})"

    def client(self, ctx: RunContext) -> Any:
        """A client on the rendered connection (secrets registered for masking)."""
        ctx.add_secrets(self.secrets(ctx.render_text))
        return self.s3_client(ctx.render_text, self.type_name)

    def errors(self, ctx: RunContext, target: str) -> Any:
        """Failures of the client inside the block fail the task, naming ``target``."""
        return s3_errors(self.where(ctx), target, self.endpoint(ctx.render_text))


class Upload(S3Task):
    """Upload stored files to ``bucket``; outputs ``bucket``, ``key``, ``eTag``, ``versionId``.

    ``from`` is one URI (uploaded as ``key``) or a list (each uploaded under the prefix
    ``key`` with its own name).

    Example:
        ```yaml
        - id: upload
          type: io.kestra.plugin.aws.s3.Upload
          region: eu-west-1
          accessKeyId: "{{ secret('AWS_ACCESS_KEY_ID') }}"
          secretKeyId: "{{ secret('AWS_SECRET_KEY_ID') }}"
          from: "{{ outputs.extract.uri }}"
          bucket: my-bucket
          key: data/orders.csv
        ```
    """

    type_name: ClassVar[str] = "io.kestra.plugin.aws.s3.Upload"

    from_: str | list[str] = Field(alias="from")
    """A stored file's URI, or a list of them (also as JSON text)."""
    key: str
    """The object's key (a prefix when ``from`` is a list)."""
    content_type: str | None = None
    """The object's Content-Type."""
    metadata: dict[str, str] = {}
    """The object's user metadata."""
    acl: str | None = None
    """A canned ACL (``private``, ``public-read``...)."""
    storage_class: str | None = None
    """The storage class (``STANDARD``, ``GLACIER``...)."""

    def run(self, ctx: RunContext) -> dict[str, Any] | None:
        """Upload the file(s).

        Raises:
            AwsTaskError: a source is not stored, or S3 refused the upload.
        """
        bucket = ctx.render_text(self.bucket, "bucket")
        key = ctx.render_text(self.key, "key")
        sources = ctx.render(self.from_, "from")
        if isinstance(sources, str) and sources.strip().startswith("["):
            sources = json.loads(sources)
        many = isinstance(sources, list)
        uris = [str(each) for each in (sources if many else [sources])]
        extra: dict[str, Any] = {"Metadata": ctx.render(self.metadata, "metadata")}
        if self.content_type:
            extra["ContentType"] = ctx.render_text(self.content_type, "contentType")
        if self.acl:
            extra["ACL"] = self.acl
        if self.storage_class:
            extra["StorageClass"] = self.storage_class
        client = self.client(ctx)
        answer: dict[str, Any] = {}
        for uri in uris:
            if not is_storage_uri(uri):
                raise AwsTaskError(f"{self.where(ctx)}: from must be internal storage URIs: {uri}")
            target = f"{key.rstrip('/')}/{PurePosixPath(uri).name}" if many else key
            try:
                stream = ctx.storage.open(uri)
            except StorageError as exc:
                raise AwsTaskError(f"{self.where(ctx)}: cannot read {uri}: {exc}") from exc
            with stream, self.errors(ctx, f"the upload to s3://{bucket}/{target}"):
                client.upload_fileobj(stream, bucket, target, ExtraArgs=extra)
                answer = client.head_object(Bucket=bucket, Key=target)
        return {
            "bucket": bucket,
            "key": key,
            "eTag": str(answer.get("ETag", "")).strip('"'),
            "versionId": answer.get("VersionId"),
        }


class Download(S3Task):
    """Download an object to the internal storage.

    Outputs ``uri``, ``contentLength``, ``contentType`` and ``metadata``.

    Example:
        ```yaml
        - id: download
          type: io.kestra.plugin.aws.s3.Download
          bucket: my-bucket
          key: data/orders.csv
        ```
    """

    type_name: ClassVar[str] = "io.kestra.plugin.aws.s3.Download"

    key: str
    """The object's key."""
    version_id: str | None = None
    """Accepted for Kestra's flows; the latest version is read."""

    def run(self, ctx: RunContext) -> dict[str, Any] | None:
        """Download the object.

        Raises:
            AwsTaskError: S3 refused the request (no such bucket or key...).
        """
        bucket = ctx.render_text(self.bucket, "bucket")
        key = ctx.render_text(self.key, "key")
        client = self.client(ctx)
        with ctx.working_directory() as folder:
            path = folder / (PurePosixPath(key).name or "object")
            with self.errors(ctx, f"the download of s3://{bucket}/{key}"):
                details = download(client, bucket, key, path)
            return {"uri": ctx.put_file(path), **details}


class Downloads(S3Task):
    """Download every object under ``prefix``; outputs ``objects`` and ``outputFiles``.

    ``action`` then deletes or moves the objects (NONE leaves them).
    """

    type_name: ClassVar[str] = "io.kestra.plugin.aws.s3.Downloads"

    prefix: str | None = None
    """Only keys starting with it."""
    delimiter: str | None = None
    """Groups keys (S3's delimiter)."""
    regexp: str | None = None
    """Only keys matching it (whole key)."""
    max_keys: int = Field(default=1000, ge=1)
    """Objects at most."""
    action: Action
    """What to do with each object once downloaded."""
    move_to: MoveTo | None = None
    """Where MOVE puts them."""

    def run(self, ctx: RunContext) -> dict[str, Any] | None:
        """Download the objects.

        Raises:
            AwsTaskError: S3 refused a request.
        """
        bucket = ctx.render_text(self.bucket, "bucket")
        client = self.client(ctx)
        objects: list[dict[str, Any]] = []
        files: dict[str, str] = {}
        with ctx.working_directory() as folder, self.errors(ctx, f"s3://{bucket}"):
            found = list(
                list_objects(
                    client,
                    bucket,
                    prefix=self.prefix,
                    delimiter=self.delimiter,
                    max_keys=self.max_keys,
                    regexp=self.regexp,
                    kind="FILES",
                )
            )
            for item in found:
                path = folder / "object"
                download(client, bucket, item["key"], path)
                item["uri"] = files[item["key"]] = ctx.put_file(path, item["key"])
                objects.append(item)
                after_download(client, bucket, item["key"], self.action, self.move_to)
        return {"objects": objects, "outputFiles": files}


class List(S3Task):
    """List the objects of ``bucket``; output ``objects`` (key, size, lastModified, etag).

    Example:
        ```yaml
        - id: list
          type: io.kestra.plugin.aws.s3.List
          bucket: my-bucket
          prefix: data/
        ```
    """

    type_name: ClassVar[str] = "io.kestra.plugin.aws.s3.List"

    prefix: str | None = None
    """Only keys starting with it."""
    delimiter: str | None = None
    """Groups keys (S3's delimiter)."""
    marker: str | None = None
    """Only keys after it."""
    max_keys: int = Field(default=1000, ge=1)
    """Objects at most."""
    regexp: str | None = None
    """Only keys matching it (whole key)."""
    filter: Filter = "BOTH"
    """FILES, DIRECTORY (keys ending in /) or BOTH."""
    encoding_type: str | None = None
    """Accepted for Kestra's flows."""
    expected_bucket_owner: str | None = None
    """Accepted for Kestra's flows."""

    def run(self, ctx: RunContext) -> dict[str, Any] | None:
        """List the objects.

        Raises:
            AwsTaskError: S3 refused the request (no such bucket, bad credentials...).
        """
        bucket = ctx.render_text(self.bucket, "bucket")
        prefix = None if self.prefix is None else ctx.render_text(self.prefix, "prefix")
        client = self.client(ctx)
        with self.errors(ctx, f"the listing of s3://{bucket}"):
            objects = list(
                list_objects(
                    client,
                    bucket,
                    prefix=prefix,
                    delimiter=self.delimiter,
                    marker=self.marker,
                    max_keys=self.max_keys,
                    regexp=self.regexp,
                    kind=self.filter,
                )
            )
        return {"objects": objects}


class Delete(S3Task):
    """Delete an object; outputs ``deleteMarker`` and ``versionId``."""

    type_name: ClassVar[str] = "io.kestra.plugin.aws.s3.Delete"

    key: str
    """The object's key."""
    bypass_governance_retention: bool | None = None
    """Accepted for Kestra's flows."""
    mfa: str | None = None
    """Accepted for Kestra's flows."""
    request_payer: str | None = None
    """Accepted for Kestra's flows."""

    def run(self, ctx: RunContext) -> dict[str, Any] | None:
        """Delete the object.

        Raises:
            AwsTaskError: S3 refused the request.
        """
        bucket = ctx.render_text(self.bucket, "bucket")
        key = ctx.render_text(self.key, "key")
        client = self.client(ctx)
        with self.errors(ctx, f"the deletion of s3://{bucket}/{key}"):
            answer = client.delete_object(Bucket=bucket, Key=key)
        return {
            "deleteMarker": bool(answer.get("DeleteMarker")),
            "versionId": answer.get("VersionId"),
        }


__all__ = ["Delete", "Download", "Downloads", "List", "S3Task", "Upload"]
