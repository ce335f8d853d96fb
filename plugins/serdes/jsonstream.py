"""The elements of a JSON array read piece by piece, so a large document streams."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import IO, Any

from plugins.serdes.errors import SerdesError

_CHUNK = 16 * 1024
_DECODER = json.JSONDecoder()
_DELIMITERS = frozenset(",]} \t\r\n")


class JsonStreamError(SerdesError):
    """The text is not one JSON document."""


class _Buffer:
    """Text read so far from a stream, consumed from the left."""

    def __init__(self, text: IO[str]) -> None:
        self.text = text
        self.data = ""
        self.pos = 0
        self.eof = False

    def more(self) -> bool:
        """Read another chunk (dropping what was consumed); False at the end of the stream."""
        if self.eof:
            return False
        chunk = self.text.read(_CHUNK)
        self.data = self.data[self.pos :] + chunk
        self.pos = 0
        self.eof = not chunk
        return bool(chunk)

    def peek(self) -> str:
        """The next character that is not white space ('' at the end of the stream)."""
        while True:
            while self.pos < len(self.data) and self.data[self.pos].isspace():
                self.pos += 1
            if self.pos < len(self.data) or not self.more():
                return self.data[self.pos : self.pos + 1]

    def value(self) -> Any:
        """Decode the next JSON value, reading more text until it is complete."""
        self.peek()
        while True:
            try:
                value, end = _DECODER.raw_decode(self.data, self.pos)
            except json.JSONDecodeError as exc:
                if self.more():
                    continue
                raise JsonStreamError(f"not JSON: {exc.msg} (line {exc.lineno})") from exc
            # A number cut by the chunk's end ("1." of "1.5") decodes short: only a
            # delimiter after the value proves it complete.
            if (end == len(self.data) or self.data[end] not in _DELIMITERS) and self.more():
                continue
            self.pos = end
            return value


def json_array_items(text: IO[str]) -> Iterator[Any]:
    """Yield each element of the JSON array in ``text``, or the one value if not an array.

    Raises:
        JsonStreamError: the text is not one JSON document.
    """
    buffer = _Buffer(text)
    if buffer.peek() != "[":
        if buffer.peek() == "":
            return
        yield buffer.value()
        if buffer.peek() != "":
            raise JsonStreamError("not JSON: text after the document")
        return
    buffer.pos += 1
    if buffer.peek() == "]":
        buffer.pos += 1
    else:
        while True:
            yield buffer.value()
            separator = buffer.peek()
            buffer.pos += 1
            if separator == "]":
                break
            if separator != ",":
                raise JsonStreamError(f"not JSON: expected ',' or ']', got {separator!r}")
    if buffer.peek() != "":
        raise JsonStreamError("not JSON: text after the array")


__all__ = ["JsonStreamError", "json_array_items"]
