"""What every S3 task and trigger shares: credentials, region, endpoint, and the client.

boto3 is imported at run time (``kestrelflow[aws]``); its failures become `AwsTaskError`
naming the task, the bucket and the endpoint, never the secret key.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from orchestrator.models.base import KestrelModel
from plugins.aws.errors import AwsTaskError
from plugins.extras import require

Render = Callable[[Any, str], str]


class AwsConnection(KestrelModel):
    """Kestra's AWS connection properties."""

    region: str | None = None
    """The AWS region."""
    access_key_id: str | None = None
    """The access key id (default: boto3's credential chain)."""
    secret_key_id: str | None = None
    """The secret access key (a secret: masked)."""
    session_token: str | None = None
    """A session token of temporary credentials."""
    endpoint_override: str | None = None
    """Another S3 endpoint (MinIO, a local stand-in)."""
    force_path_style: bool | None = None
    """Address buckets as ``endpoint/bucket`` rather than ``bucket.endpoint``."""
    compatibility_mode: bool = False
    """Accepted for Kestra's flows (path-style addressing is used with an endpoint)."""
    sts_role_arn: str | None = None
    """Accepted for Kestra's flows; role assumption is not done."""
    sts_role_session_name: str | None = None
    """Accepted for Kestra's flows."""
    sts_role_external_id: str | None = None
    """Accepted for Kestra's flows."""
    sts_role_session_duration: str | None = None
    """Accepted for Kestra's flows."""
    sts_endpoint_override: str | None = None
    """Accepted for Kestra's flows."""

    def s3_client(self, render: Render, task_type: str) -> Any:
        """A boto3 S3 client on the rendered properties."""
        boto3 = require("boto3", extra="aws", task_type=task_type)
        botocore_config = require("botocore.config", extra="aws", task_type=task_type)

        def value(raw: str | None, name: str) -> str | None:
            return None if raw is None else render(raw, name)

        endpoint = value(self.endpoint_override, "endpointOverride")
        path_style = self.force_path_style
        if path_style is None:
            path_style = endpoint is not None
        return boto3.client(
            "s3",
            region_name=value(self.region, "region") or "us-east-1",
            aws_access_key_id=value(self.access_key_id, "accessKeyId"),
            aws_secret_access_key=value(self.secret_key_id, "secretKeyId"),
            aws_session_token=value(self.session_token, "sessionToken"),
            endpoint_url=endpoint,
            config=botocore_config.Config(
                s3={"addressing_style": "path" if path_style else "auto"},
                retries={"max_attempts": 2, "mode": "standard"},
                connect_timeout=10,
            ),
        )

    def endpoint(self, render: Render) -> str | None:
        """The rendered ``endpointOverride``, if any."""
        override = self.endpoint_override
        return None if override is None else render(override, "endpointOverride")

    def secrets(self, render: Render) -> set[str]:
        """The rendered secret values, to mask."""
        return {
            render(raw, name)
            for raw, name in (
                (self.secret_key_id, "secretKeyId"),
                (self.session_token, "sessionToken"),
            )
            if raw
        }


@contextmanager
def s3_errors(where: str, target: str, endpoint: str | None) -> Iterator[None]:
    """Turn boto3's failures into task failures naming ``target`` and the endpoint."""
    botocore = require("botocore.exceptions", extra="aws", task_type=where)
    server = endpoint or "AWS S3"
    try:
        yield
    except botocore.ClientError as exc:
        error = exc.response.get("Error", {})
        code = error.get("Code", "?")
        message = error.get("Message") or code
        raise AwsTaskError(f"{where}: S3 at {server} refused {target}: {code}: {message}") from None
    except botocore.NoCredentialsError:
        raise AwsTaskError(f"{where}: no AWS credentials for {target} (set accessKeyId)") from None
    except botocore.BotoCoreError as exc:
        raise AwsTaskError(
            f"{where}: cannot reach S3 at {server} for {target}: {_plain(str(exc))}",
            retryable=True,
        ) from None


def _plain(text: str) -> str:
    return re.sub(r"\s+", " ", text)


__all__ = ["AwsConnection", "s3_errors"]
