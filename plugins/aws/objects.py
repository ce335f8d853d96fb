"""Listing, fetching and moving S3 objects: what the tasks and the trigger share."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Any, Literal

from orchestrator.models.base import KestrelModel

Filter = Literal["FILES", "DIRECTORY", "BOTH"]
Action = Literal["MOVE", "DELETE", "NONE"]


class MoveTo(KestrelModel):
    """Where ``action: MOVE`` puts an object."""

    key: str
    """The destination key prefix (the object's name is appended)."""
    bucket: str | None = None
    """The destination bucket (default: the same)."""


def list_objects(
    client: Any,
    bucket: str,
    *,
    prefix: str | None = None,
    delimiter: str | None = None,
    marker: str | None = None,
    max_keys: int = 1000,
    regexp: str | None = None,
    kind: Filter = "BOTH",
) -> Iterator[dict[str, Any]]:
    """Yield the objects of ``bucket`` (at most ``max_keys``) as Kestra describes them."""
    pattern = re.compile(regexp) if regexp else None
    options: dict[str, Any] = {"Bucket": bucket}
    if prefix:
        options["Prefix"] = prefix
    if delimiter:
        options["Delimiter"] = delimiter
    if marker:
        options["StartAfter"] = marker
    found = 0
    for page in client.get_paginator("list_objects_v2").paginate(**options):
        for item in page.get("Contents", []):
            key = item["Key"]
            is_folder = key.endswith("/")
            if (kind == "FILES" and is_folder) or (kind == "DIRECTORY" and not is_folder):
                continue
            if pattern is not None and not pattern.fullmatch(key):
                continue
            yield {
                "key": key,
                "size": item.get("Size"),
                "lastModified": item["LastModified"].isoformat()
                if "LastModified" in item
                else None,
                "etag": str(item.get("ETag", "")).strip('"'),
                "uri": f"s3://{bucket}/{key}",
            }
            found += 1
            if found >= max_keys:
                return


def _iso(moment: Any) -> str | None:
    return None if moment is None else str(moment.isoformat())


def download(client: Any, bucket: str, key: str, target: Path) -> dict[str, Any]:
    """Stream an object to ``target``; return its length, content type and metadata."""
    answer = client.get_object(Bucket=bucket, Key=key)
    with target.open("wb") as out:
        for chunk in answer["Body"].iter_chunks(1024 * 1024):
            out.write(chunk)
    return {
        "contentLength": answer.get("ContentLength"),
        "contentType": answer.get("ContentType"),
        "metadata": answer.get("Metadata", {}),
    }


def after_download(
    client: Any, bucket: str, key: str, action: Action, move_to: MoveTo | None
) -> None:
    """Apply ``action`` to a fetched object, so that the next poll does not take it again."""
    if action == "DELETE":
        client.delete_object(Bucket=bucket, Key=key)
    elif action == "MOVE" and move_to is not None:
        destination = f"{move_to.key.rstrip('/')}/{PurePosixPath(key).name}"
        client.copy_object(
            Bucket=move_to.bucket or bucket,
            Key=destination,
            CopySource={"Bucket": bucket, "Key": key},
        )
        client.delete_object(Bucket=bucket, Key=key)


__all__ = ["Action", "Filter", "MoveTo", "after_download", "download", "list_objects"]
