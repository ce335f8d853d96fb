"""Root exception of the `plugins` package."""

from __future__ import annotations


class PluginError(Exception):
    """Root of every error raised by the `plugins` package."""
