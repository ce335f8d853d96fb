"""Registry of task and trigger types: built-ins by name, plugins by entry point.

Built-in types are declared as ``name -> "module:Class"`` strings and imported on first use,
so loading the registry is cheap. Third-party packages declare task types in the
``kestrel.plugins`` entry-point group and trigger types in ``kestrel.triggers``
(``name = "module:Class"``); a class may list more names in its ``aliases``.
"""

from __future__ import annotations

import difflib
import importlib
import threading
from collections.abc import Iterable
from importlib.metadata import entry_points
from typing import Any, Generic, TypeVar

from pydantic import ValidationError
from pydantic_core import InitErrorDetails, PydanticCustomError

from orchestrator.errors import OrchestratorError

TASK_ENTRY_POINT_GROUP = "kestrel.plugins"
TRIGGER_ENTRY_POINT_GROUP = "kestrel.triggers"

T = TypeVar("T")

SUGGESTION_CUTOFF = 0.8
"""How similar (difflib ratio) the class name of a registered type must be to be suggested."""


def _plugin_family(name: str) -> str | None:
    """``cloudflare`` for ``io.kestra.plugin.cloudflare.cache.Purge``; None for other names."""
    parts = name.split(".")
    if len(parts) > 4 and parts[:3] == ["io", "kestra", "plugin"]:
        return parts[3]
    return None


class UnknownTypeError(OrchestratorError, ValueError):
    """A ``type`` names no registered task or trigger type."""

    def __init__(self, kind: str, name: str, suggestions: list[str]) -> None:
        hint = f"; did you mean '{suggestions[0]}'?" if suggestions else ""
        super().__init__(f"unknown {kind} type '{name}'{hint}")
        self.name = name
        self.suggestions = suggestions

    def at_type_key(self, title: str) -> ValidationError:
        """Return this error as a pydantic error located at the ``type`` key."""
        error = PydanticCustomError("unknown_type", str(self))
        details = [InitErrorDetails(type=error, loc=("type",), input=self.name)]
        return ValidationError.from_exception_data(title, details)


class PluginLoadError(OrchestratorError):
    """A registered type could not be imported."""


class TypeRegistry(Generic[T]):
    """Maps type names (and their aliases) to model classes of one kind."""

    def __init__(self, kind: str, base: type[T], entry_point_group: str) -> None:
        """Create an empty registry.

        Args:
            kind: what the registry holds, for messages ("task", "trigger").
            base: the class every registered type must derive from.
            entry_point_group: the entry-point group third-party types are declared in.
        """
        self.kind = kind
        self._base = base
        self._group = entry_point_group
        self._targets: dict[str, str | type[T]] = {}
        self._entry_points_loaded = False
        # Workers resolve types from several threads at once; loading must happen once,
        # completely, before anyone reads the result.
        self._lock = threading.RLock()

    def register(self, name: str, target: str | type[T], aliases: Iterable[str] = ()) -> None:
        """Register ``target`` (a class or a ``"module:Class"`` string) under its names."""
        for each in (name, *aliases):
            self._targets[each] = target

    def names(self) -> list[str]:
        """Return every registered name, aliases included."""
        self._load_entry_points()
        with self._lock:
            return sorted(self._targets)

    def resolve(self, name: str) -> type[T]:
        """Return the class registered under ``name``.

        Raises:
            UnknownTypeError: nothing is registered under that name (with a suggestion).
            PluginLoadError: the class could not be imported.
        """
        target = self._targets.get(name)
        if isinstance(target, type):
            return target
        with self._lock:
            target = self._targets.get(name)
            if target is None:
                self._load_entry_points()
                target = self._targets.get(name)
            if target is None:
                raise UnknownTypeError(self.kind, name, self.suggest(name))
            if isinstance(target, str):
                spec, target = target, self._import(name, target)
                for each in [key for key, value in self._targets.items() if value == spec]:
                    self._targets[each] = target
            return target

    def suggest(self, name: str) -> list[str]:
        """Return registered names close to ``name`` (a typo away), best first.

        The bar is high on purpose: a suggestion of an unrelated type (``http.Request``
        answered with ``flow.Sequential``) misleads more than no suggestion.
        """
        short = name.rsplit(".", 1)[-1].lower()
        family = _plugin_family(name)
        if family is not None:
            # A type of a plugin Kestrel does not have (``cloudflare.cache.Purge``) is not a
            # typo of a core type with the same class name.
            families = {_plugin_family(each) for each in self.names()} - {None}
            known = sorted(each for each in families if each is not None)
            if family not in families and not difflib.get_close_matches(family, known, 1, 0.8):
                return []

        def ratio(left: str, right: str) -> float:
            return difflib.SequenceMatcher(None, left, right).ratio()

        # The class name must be a typo away; the full name then ranks the candidates.
        scored = [
            (ratio(name, each), each)
            for each in self.names()
            if ratio(short, each.rsplit(".", 1)[-1].lower()) >= SUGGESTION_CUTOFF
        ]
        return [each for _, each in sorted(scored, key=lambda pair: -pair[0])[:3]]

    def _import(self, name: str, target: str) -> type[T]:
        module_name, _, attribute = target.partition(":")
        try:
            loaded: Any = getattr(importlib.import_module(module_name), attribute)
        except (ImportError, AttributeError) as exc:
            raise PluginLoadError(f"{self.kind} type '{name}' ({target}): {exc}") from exc
        if not (isinstance(loaded, type) and issubclass(loaded, self._base)):
            raise PluginLoadError(f"{self.kind} type '{name}' ({target}) is not a {self.kind}")
        aliases: Iterable[str] = getattr(loaded, "aliases", ())
        for alias in aliases:
            self._targets.setdefault(alias, loaded)
        return loaded

    def _load_entry_points(self) -> None:
        with self._lock:
            if self._entry_points_loaded:
                return
            for entry_point in entry_points(group=self._group):
                self._targets.setdefault(entry_point.name, entry_point.value)
            self._entry_points_loaded = True
