"""Kestra's compression names on the standard library's streams.

Only what the standard library does is supported (GZIP, BZIP2, XZ, LZMA, DEFLATE); the
others Kestra knows (ZSTD, LZ4, SNAPPY, BROTLI, Z...) fail the task naming the supported.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import zlib
from typing import IO, Any, Literal

from plugins.compress.errors import CompressError

Compression = Literal[
    "BROTLI",
    "BZIP2",
    "DEFLATE",
    "DEFLATE64",
    "GZIP",
    "LZ4BLOCK",
    "LZ4FRAMED",
    "LZMA",
    "SNAPPY",
    "SNAPPYFRAMED",
    "XZ",
    "Z",
    "ZSTD",
]
SUPPORTED = ("GZIP", "BZIP2", "XZ", "LZMA", "DEFLATE")
EXTENSIONS = {"GZIP": ".gz", "BZIP2": ".bz2", "XZ": ".xz", "LZMA": ".lzma", "DEFLATE": ".zz"}
_CHUNK = 1024 * 1024


class _ZlibReader:
    """A read-only stream inflating zlib (Kestra's DEFLATE) data."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.inflater = zlib.decompressobj()
        self.pending = b""

    def read(self, size: int = -1) -> bytes:
        while (size < 0 or len(self.pending) < size) and not self.inflater.eof:
            chunk = self.raw.read(_CHUNK)
            if not chunk:
                break
            self.pending += self.inflater.decompress(chunk)
        if size < 0:
            size = len(self.pending)
        data, self.pending = self.pending[:size], self.pending[size:]
        return data

    def close(self) -> None:
        self.raw.close()


class _ZlibWriter:
    """A write-only stream deflating to zlib data."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.deflater = zlib.compressobj()

    def write(self, data: bytes) -> int:
        self.raw.write(self.deflater.compress(data))
        return len(data)

    def close(self) -> None:
        self.raw.write(self.deflater.flush())
        self.raw.close()


def _checked(compression: str, where: str) -> str:
    if compression not in SUPPORTED:
        raise CompressError(
            f"{where}: compression {compression} is not supported by Kestrel "
            f"(supported: {', '.join(SUPPORTED)})"
        )
    return compression


def reader(raw: IO[bytes], compression: str, where: str) -> Any:
    """A stream of the decompressed content of ``raw``.

    Raises:
        CompressError: the compression is not supported.
    """
    kind = _checked(compression, where)
    if kind == "GZIP":
        return gzip.GzipFile(fileobj=raw, mode="rb")
    if kind == "BZIP2":
        return bz2.BZ2File(raw, "rb")
    if kind in ("XZ", "LZMA"):
        return lzma.LZMAFile(
            raw, "rb", format=lzma.FORMAT_XZ if kind == "XZ" else lzma.FORMAT_ALONE
        )
    return _ZlibReader(raw)


def writer(raw: IO[bytes], compression: str, where: str) -> Any:
    """A stream compressing what is written to it into ``raw`` (close it to finish).

    Raises:
        CompressError: the compression is not supported.
    """
    kind = _checked(compression, where)
    if kind == "GZIP":
        return gzip.GzipFile(fileobj=raw, mode="wb")
    if kind == "BZIP2":
        return bz2.BZ2File(raw, "wb")
    if kind in ("XZ", "LZMA"):
        return lzma.LZMAFile(
            raw, "wb", format=lzma.FORMAT_XZ if kind == "XZ" else lzma.FORMAT_ALONE
        )
    return _ZlibWriter(raw)


# What a corrupt compressed stream raises, by module.
DECODING_ERRORS = (OSError, EOFError, lzma.LZMAError, zlib.error, ValueError)

__all__ = ["DECODING_ERRORS", "EXTENSIONS", "SUPPORTED", "Compression", "reader", "writer"]
