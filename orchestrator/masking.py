"""Masking credentials in URLs, for messages, logs and ``repr`` of settings."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

MASK = "********"
"""What a secret is replaced by wherever it would be shown."""


def masked_url(url: str, mask: str = MASK) -> str:
    """``url`` with the password of its user-info replaced by ``mask`` (unchanged if none)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    user = f"{parts.username}:{mask}@" if parts.username else f":{mask}@"
    return urlunsplit(parts._replace(netloc=user + host))
