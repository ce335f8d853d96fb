"""The template renderer: Pebble templates on a sandboxed, strict Jinja environment."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from jinja2 import Template, TemplateSyntaxError, Undefined, pass_context
from jinja2.exceptions import SecurityError
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment

from orchestrator.templating.errors import TemplateError
from orchestrator.templating.filters import filters
from orchestrator.templating.functions import STATE, RenderState, base_globals
from orchestrator.templating.pebble import Translation, describe_failure, template_line, translate
from orchestrator.templating.predicates import tests
from orchestrator.templating.values import KestrelUndefined, to_output

MAX_RENDER_DEPTH = 10
MAX_SEQUENCE_REPEAT = 10_000_000


def has_template(text: str) -> bool:
    """Whether a string holds any ``{{``, ``{%`` or ``{#`` and so needs rendering."""
    return "{{" in text or "{%" in text or "{#" in text


def envs_from_environ(environ: Mapping[str, str], prefix: str = "ENV_") -> dict[str, str]:
    """Build the ``envs`` variable from process environment variables.

    Kestra exposes ``ENV_FOO_BAR=x`` as ``{{ envs.foo_bar }}``.

    Args:
        environ: Usually ``os.environ``.
        prefix: Only variables starting with it are kept, without it, lower-cased.
    """
    return {k[len(prefix) :].lower(): v for k, v in environ.items() if k.startswith(prefix)}


class _Sandbox(ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox, reading map keys as Pebble does, refusing huge repetitions."""

    intercepted_binops = frozenset({"*"})

    def getattr(self, obj: Any, attribute: str) -> Any:
        """``map.key`` is the key only, so ``outputs.t.values`` is not ``dict.values``."""
        if isinstance(obj, Mapping):
            return self._map_get(obj, attribute)
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        """``map['key']`` is the key only, never a method of the same name."""
        if isinstance(obj, Mapping):
            return self._map_get(obj, argument)
        return super().getitem(obj, argument)

    def _map_get(self, obj: Mapping[Any, Any], key: Any) -> Any:
        try:
            return obj[key]
        except (KeyError, TypeError):
            return self.undefined(obj=obj, name=key)

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        for sequence, times in ((left, right), (right, left)):
            sized = isinstance(sequence, str | list | tuple) and isinstance(times, int)
            if sized and len(sequence) * times > MAX_SEQUENCE_REPEAT:
                raise SecurityError(f"repetition longer than {MAX_SEQUENCE_REPEAT} items")
        return super().call_binop(context, operator, left, right)


@dataclass(frozen=True)
class _Compiled:
    template: Template
    translation: Translation


class TemplateRenderer:
    """Renders Kestra (Pebble) templates against an execution's variables.

    Build one and share it: it holds the sandboxed environment and an LRU cache of
    compiled templates keyed by source text. Rendering is thread-safe.

    The caller supplies every variable (``inputs``, ``outputs``, ``vars``, ``execution``,
    ``flow``, ``task``, ``taskrun``, ``parent``, ``parents``, ``labels``, ``trigger``...);
    the renderer only adds ``envs`` when the context has none. Two functions read the
    context: ``currentEachOutput(outputs.x)`` walks ``parents[*].taskrun.value`` (outermost
    first) then ``taskrun.value``, and ``errorLogs()`` returns what the caller put under
    ``functions.ERROR_LOGS_KEY`` (a list of log dicts, or a callable returning one).
    A context entry named like a function (``errorLogs``, ``kv``...) shadows it, which is how
    callers add functions of their own.

    Args:
        secret_provider: Resolves ``secret('NAME')``; raising ``LookupError`` or returning
            None means the secret does not exist.
        envs: The ``envs`` variable (see ``envs_from_environ``).
        cache_size: How many compiled templates to keep.
    """

    def __init__(
        self,
        *,
        secret_provider: Callable[[str], str | None] | None = None,
        envs: Mapping[str, str] | None = None,
        cache_size: int = 2048,
    ) -> None:
        self._secret_provider = secret_provider
        self._envs = dict(envs or {})
        self._cache: OrderedDict[str, _Compiled] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()
        env = _Sandbox(
            undefined=KestrelUndefined,
            finalize=to_output,
            keep_trailing_newline=True,
            autoescape=False,
        )
        env.globals.clear()  # drops lipsum, cycler, joiner, namespace, dict, range
        env.globals.update(base_globals())
        env.globals.update(
            secret=self._secret,
            render=self._render_function(recursive=True),
            renderOnce=self._render_function(recursive=False),
        )
        env.filters.update(filters())
        env.tests.update(tests())
        self._env = env

    def render(
        self,
        template: str,
        context: Mapping[str, Any],
        *,
        task_id: str | None = None,
        property_path: str | None = None,
        used_secrets: set[str] | None = None,
    ) -> str:
        """Render one template string.

        Args:
            template: Pebble template text; text without ``{{``/``{%``/``{#`` is returned
                as it is.
            context: The variables.
            task_id: Named in errors.
            property_path: Named in errors (``message``, ``headers.Authorization``).
            used_secrets: When given, every secret value ``secret()`` reveals is added to
                it, so the caller can mask those values in logs.

        Raises:
            TemplateError: invalid syntax, an undefined variable, a refused (unsafe)
                access, or a failing function or filter.
        """
        if not has_template(template):
            return template
        token = STATE.set(RenderState(used_secrets=used_secrets)) if STATE.get() is None else None
        try:
            return self._render(template, context, task_id, property_path)
        finally:
            if token is not None:
                STATE.reset(token)

    def render_recursive(
        self,
        value: Any,
        context: Mapping[str, Any],
        *,
        task_id: str | None = None,
        property_path: str | None = None,
        used_secrets: set[str] | None = None,
    ) -> Any:
        """Render every string inside a value: dict keys and values, and list items.

        Other values pass through. Errors name the nested property, like
        ``headers.Authorization`` or ``values[2]``.

        Raises:
            TemplateError: as ``render``.
        """
        if isinstance(value, str):
            return self.render(
                value,
                context,
                task_id=task_id,
                property_path=property_path,
                used_secrets=used_secrets,
            )
        if isinstance(value, Mapping):
            out: dict[Any, Any] = {}
            for key, item in value.items():
                path = f"{property_path}.{key}" if property_path else str(key)
                new_key = self.render_recursive(
                    key, context, task_id=task_id, property_path=path, used_secrets=used_secrets
                )
                out[new_key] = self.render_recursive(
                    item, context, task_id=task_id, property_path=path, used_secrets=used_secrets
                )
            return out
        if isinstance(value, list | tuple):
            return [
                self.render_recursive(
                    item,
                    context,
                    task_id=task_id,
                    property_path=f"{property_path or ''}[{index}]",
                    used_secrets=used_secrets,
                )
                for index, item in enumerate(value)
            ]
        return value

    def validate_template(self, template: str) -> None:
        """Check a template's syntax without rendering it.

        Raises:
            TemplateError: the syntax is invalid; ``line`` tells where when known.
        """
        if has_template(template):
            self._compile(template)

    def _compile(self, source: str) -> _Compiled:
        with self._lock:
            hit = self._cache.get(source)
            if hit is not None:
                self._cache.move_to_end(source)
                return hit
        try:
            translation = translate(source)
            template = self._env.from_string(translation.jinja_source)
        except TemplateSyntaxError as exc:
            raise TemplateError(
                f"syntax error at line {exc.lineno}: {exc.message}", line=exc.lineno
            ) from None
        except RecursionError:
            raise TemplateError("syntax error: expression nested too deeply") from None
        compiled = _Compiled(template, translation)
        with self._lock:
            self._cache[source] = compiled
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return compiled

    def _render(
        self,
        source: str,
        context: Mapping[str, Any],
        task_id: str | None,
        property_path: str | None,
    ) -> str:
        try:
            compiled = self._compile(source)
        except TemplateError as exc:
            raise exc.located(task_id, property_path) from None
        try:
            if "envs" in context:
                return compiled.template.render(context)
            return compiled.template.render(context, envs=self._envs)
        except TemplateError as exc:
            if exc.line is None:
                exc.line = template_line(exc)
            raise exc.located(task_id, property_path) from None
        except Exception as exc:  # the boundary: whatever a template did, report it as one
            line = template_line(exc)
            message = describe_failure(exc, compiled.translation, line)
            raise TemplateError(
                message, task_id=task_id, property_path=property_path, line=line
            ) from exc

    def _secret(self, name: Any) -> Any:
        if isinstance(name, Undefined):
            return name
        if self._secret_provider is None:
            raise TemplateError(f"secret '{name}' is used but no secret provider is configured")
        try:
            value = self._secret_provider(str(name))
        except LookupError:
            value = None
        if value is None:
            raise TemplateError(f"unknown secret '{name}'")
        state = STATE.get()
        if state is not None and state.used_secrets is not None:
            state.used_secrets.add(value)
        return value

    def _render_function(self, *, recursive: bool) -> Callable[..., Any]:
        @pass_context
        def render(context: Context, value: Any, recursive: bool = recursive) -> Any:
            """Render a string again with the current variables (Kestra's ``render()``)."""
            if not isinstance(value, str):
                return value
            state = STATE.get()
            assert state is not None  # only reachable from inside render()
            if state.depth >= MAX_RENDER_DEPTH:
                raise TemplateError(f"render() nested more than {MAX_RENDER_DEPTH} deep")
            variables = context.get_all()
            state.depth += 1
            try:
                for _ in range(MAX_RENDER_DEPTH):
                    rendered = self._render(value, variables, None, None)
                    if not recursive or rendered == value or not has_template(rendered):
                        return rendered
                    value = rendered
                raise TemplateError(f"render() did not settle after {MAX_RENDER_DEPTH} passes")
            finally:
                state.depth -= 1

        return render


_DEFAULT: TemplateRenderer | None = None


def validate_template(template: str) -> None:
    """Check a template's syntax (for ``kestrel flow validate``) without rendering it.

    Raises:
        TemplateError: the syntax is invalid; ``line`` tells where when known.
    """
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = TemplateRenderer()
    _DEFAULT.validate_template(template)
