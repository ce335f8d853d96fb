"""Kestra's ``io.kestra.plugin.aws.s3`` tasks and trigger on boto3 (``kestrelflow[aws]``).

Any S3-compatible endpoint works through ``endpointOverride`` (path-style addressing).
"""

from plugins.aws.errors import AwsTaskError
from plugins.aws.s3 import Delete, Download, Downloads, List, Upload
from plugins.aws.trigger import Trigger

__all__ = ["AwsTaskError", "Delete", "Download", "Downloads", "List", "Trigger", "Upload"]
