"""Kestra's ``io.kestra.plugin.compress`` tasks on the standard library (no extra needed)."""

from plugins.compress.errors import CompressError
from plugins.compress.tasks import ArchiveCompress, ArchiveDecompress, FileCompress, FileDecompress

__all__ = [
    "ArchiveCompress",
    "ArchiveDecompress",
    "CompressError",
    "FileCompress",
    "FileDecompress",
]
