"""HTTP tasks: `Request` (an API call, answer as outputs) and `Download` (to a file)."""

from plugins.http.download import Download
from plugins.http.errors import HttpFailedError, HttpTransportError
from plugins.http.request import Request

__all__ = ["Download", "HttpFailedError", "HttpTransportError", "Request"]
