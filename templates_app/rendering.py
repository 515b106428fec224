"""Rendering prompt template versions: Jinja2 in a sandbox, compiled once per version.

Template versions are written by agents as well as humans, so the content is untrusted code:

- ``ImmutableSandboxedEnvironment``: no attribute starting with ``_`` (so no ``__class__``,
  ``__globals__``, ``mro`` walks), no function internals, no mutating the context, ``range``
  capped; the context itself is plain data (``templates_app.context``), so there is no model
  instance or manager to reach through.
- Resource limits the sandbox leaves open are closed here: string/list repetition and ``**`` that
  would build huge values, format strings with huge widths, and an overall output cap.
- ``PromptUndefined`` (strict): a typo (``{{ issue.titel }}``) is an error naming the attribute,
  not a silently empty string in an agent's instructions; only ``{% if missing %}`` is allowed
  (false), for optional keys in issue JSON.
- ``autoescape=False``: the output is markdown for an agent, not HTML.

``render_prompt`` never raises for a bad template: it returns ``RenderResult(prompt=None,
error=...)`` and the caller (dispatch, preview) reports the error while the claim stands.
"""
from __future__ import annotations

import inspect
import json
import logging
import operator
import re
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache, update_wrapper
from typing import Any

from jinja2 import (
    BaseLoader,
    StrictUndefined,
    Template,
    TemplateError,
    TemplateNotFound,
    TemplateSyntaxError,
    meta as jinja_meta,
    nodes,
)
from jinja2.visitor import NodeTransformer
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

from django.db import DatabaseError

from issues.models import Issue
from templates_app.context import CONTEXT_KEYS, build_context, priority_label
from templates_app.models import PromptVersion
from templates_app.partials import PARTIALS

logger = logging.getLogger(__name__)

# Limits on what a template may build. Generous for prompts (a long prompt is ~20k characters).
MAX_OUTPUT_CHARS = 200_000
MAX_VALUE_LENGTH = 200_000
MAX_WORK = 50_000
MAX_EXPONENT = 64
MAX_FORMAT_WIDTH = 1_000
MAX_RANGE = 10_000
COMPILED_CACHE_SIZE = 512

_WIDTH_IN_FORMAT = re.compile(r"[<>=^]?[+\- ]?#?0?(\d+)")
_PERCENT_WIDTH = re.compile(r"%[-+ #0]*(\d+|\*)?(?:\.(\d+|\*))?")
_BRACE_SPEC = re.compile(r"\{[^{}]*:([^{}]*)\}")


@dataclass(frozen=True)
class RenderResult:
    prompt: str | None
    error: str | None

    @property
    def ok(self) -> bool:
        return self.error is None


class PromptUndefined(StrictUndefined):
    """Strict everywhere (printing, iterating, comparing, calling a missing name is an error that
    names it) except truth tests: ``{% if issue.hypothesis.prediction %}`` is the natural way to
    write "if this optional key is there", and issue JSON (payloads, hypotheses) has optional
    keys. A missing value is simply false there."""

    __slots__ = ()

    def __bool__(self) -> bool:
        return False


class PartialLoader(BaseLoader):
    """Serves the shared partials by bare name: ``{% include "api_reference" %}``."""

    def get_source(self, environment, template: str):  # type: ignore[override]
        try:
            source = PARTIALS[template]
        except KeyError:
            raise TemplateNotFound(
                f"{template} (available partials: {', '.join(sorted(PARTIALS))})"
            ) from None
        return source, None, lambda: True

    def list_templates(self) -> list[str]:
        return sorted(PARTIALS)


def _check_format_string(text: str) -> None:
    for match in _PERCENT_WIDTH.finditer(text):
        for number in match.groups():
            if number == "*" or (number and int(number) > MAX_FORMAT_WIDTH):
                raise SecurityError("format width or precision too large")
    for spec in _BRACE_SPEC.findall(text):
        for number in re.findall(r"\d+", spec):
            if int(number) > MAX_FORMAT_WIDTH:
                raise SecurityError("format width or precision too large")


def _sized(value: Any) -> int:
    return len(value) if isinstance(value, (str, bytes, list, tuple)) else 0


def _checked_size(value: Any) -> Any:
    if _sized(value) > MAX_VALUE_LENGTH:
        raise SecurityError(f"value longer than {MAX_VALUE_LENGTH} items is not allowed")
    return value


# Work budget of the render in progress: loop iterations plus calls (macros, methods). Loops over
# capped ranges can still nest and macros can recurse, so the total is bounded, not each part.
_work_budget: ContextVar[list[int] | None] = ContextVar("loop_template_work_budget", default=None)


def _spend(units: int = 1) -> None:
    budget = _work_budget.get()
    if budget is None:
        return
    budget[0] -= units
    if budget[0] < 0:
        raise SecurityError(f"template did more than {MAX_WORK} steps of work (loops and calls)")


class _Budgeted(NodeTransformer):
    """Rewrites a parsed template so every ``for`` loop draws on the work budget and every ``~``
    concatenation is size-checked (neither goes through the sandbox's hooks otherwise)."""

    def visit_For(self, node: nodes.For) -> nodes.Node:
        node = self.generic_visit(node)
        node.iter = nodes.Call(
            nodes.EnvironmentAttribute("budgeted_iter"), [node.iter], [], None, None,
            lineno=node.lineno,
        )
        return node

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:
        node = self.generic_visit(node)
        return nodes.Call(
            nodes.EnvironmentAttribute("checked_concat"),
            [nodes.Tuple(list(node.nodes), "load", lineno=node.lineno)], [], None, None,
            lineno=node.lineno,
        )


class PromptEnvironment(ImmutableSandboxedEnvironment):
    """The sandbox plus limits on what can exhaust memory or CPU: operators that build large
    values, format widths, loop iterations and calls."""

    intercepted_binops = frozenset(["*", "**", "%", "+"])

    def _parse(self, source, name, filename):  # type: ignore[override]
        return _Budgeted().visit(super()._parse(source, name, filename))

    def call_binop(self, context, operator_name: str, left: Any, right: Any) -> Any:  # type: ignore[override]
        if operator_name == "*":
            for seq, times in ((left, right), (right, left)):
                if _sized(seq) and isinstance(times, int) and _sized(seq) * times > MAX_VALUE_LENGTH:
                    raise SecurityError("repetition would build a value that is too large")
            return operator.mul(left, right)
        if operator_name == "**":
            if isinstance(right, (int, float)) and abs(right) > MAX_EXPONENT:
                raise SecurityError(f"exponent larger than {MAX_EXPONENT} is not allowed")
            return operator.pow(left, right)
        if operator_name == "%":
            if isinstance(left, str):
                _check_format_string(left)
            return _checked_size(operator.mod(left, right))
        if operator_name == "+":
            if _sized(left) + _sized(right) > MAX_VALUE_LENGTH:
                raise SecurityError(f"value longer than {MAX_VALUE_LENGTH} items is not allowed")
            return operator.add(left, right)
        return super().call_binop(context, operator_name, left, right)

    def wrap_str_format(self, value: Any):  # type: ignore[override]
        wrapped = super().wrap_str_format(value)
        if wrapped is None:
            return None
        template_text = str(value.__self__)

        def checked(*args: Any, **kwargs: Any) -> str:
            _check_format_string(template_text)
            return _checked_size(wrapped(*args, **kwargs))

        return checked

    def call(__self, __context, __obj, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]  # noqa: N805
        _spend()
        return super().call(__context, __obj, *args, **kwargs)

    def budgeted_iter(self, iterable: Any) -> Iterator[Any]:
        for item in iterable:
            _spend()
            yield item

    def checked_concat(self, parts: tuple[Any, ...]) -> str:
        total = 0
        strings = []
        for part in parts:
            text = str(part)
            total += len(text)
            if total > MAX_VALUE_LENGTH:
                raise SecurityError(f"value longer than {MAX_VALUE_LENGTH} items is not allowed")
            strings.append(text)
        return "".join(strings)


def _json_helper(value: Any, indent: int = 2) -> str:
    """Pretty JSON (``{{ issue.signalPayload | json }}`` or ``{{ json(issue.hypothesis) }}``)."""
    if not isinstance(indent, int) or not 0 <= indent <= 8:
        raise SecurityError("json indent must be between 0 and 8")
    return json.dumps(value, indent=indent, ensure_ascii=False, default=str)


def _safe_range(*args: int) -> range:
    result = range(*args)
    if len(result) > MAX_RANGE:
        raise SecurityError(f"range larger than {MAX_RANGE} items is not allowed")
    return result


def _safe_format_filter(value: str, *args: Any, **kwargs: Any) -> str:
    _check_format_string(str(value))
    if args and kwargs:
        raise SecurityError("format takes positional or keyword arguments, not both")
    return str(value) % (kwargs or args)


def _size_checked_filter(func: Callable[..., Any], width_args: tuple[str, ...] = ()) -> Callable[..., Any]:
    """Wrap a filter so its result is size-checked, and numeric width arguments that would make a
    huge value up front (``center``, ``indent``) are refused before it is built."""
    names = list(inspect.signature(func).parameters)

    def checked(*args: Any, **kwargs: Any) -> Any:
        for name in width_args:
            index = names.index(name)
            width = kwargs.get(name, args[index] if index < len(args) else None)
            if isinstance(width, int) and width > MAX_FORMAT_WIDTH:
                raise SecurityError(f"{name} larger than {MAX_FORMAT_WIDTH} is not allowed")
        return _checked_size(func(*args, **kwargs))

    return update_wrapper(checked, func)


def _make_environment() -> PromptEnvironment:
    env = PromptEnvironment(
        loader=PartialLoader(),
        undefined=PromptUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        auto_reload=False,
    )
    env.filters["json"] = _json_helper
    env.filters["priority_label"] = priority_label
    env.filters["format"] = _safe_format_filter
    width_args = {"center": ("width",), "indent": ("width",), "wordwrap": ("width",)}
    for name, func in list(env.filters.items()):
        env.filters[name] = _size_checked_filter(func, width_args.get(name, ()))
    env.globals["json"] = _json_helper
    env.globals["priority_label"] = priority_label
    env.globals["range"] = _safe_range
    # lipsum generates text of any requested size, and nothing in a prompt needs it.
    env.globals.pop("lipsum", None)
    return env


ENVIRONMENT = _make_environment()


@lru_cache(maxsize=COMPILED_CACHE_SIZE)
def _compiled(version_id: str, content: str) -> Template:
    """The compiled template for one version. Keyed by id *and* content, so an edit made outside
    the API (admin) can never serve stale code; versions are immutable in practice, so each is
    compiled once per process."""
    return ENVIRONMENT.from_string(content)


def compile_version(version: PromptVersion) -> Template:
    return _compiled(str(version.pk), version.content)


def clear_compiled_cache() -> None:
    _compiled.cache_clear()


def describe_error(exc: BaseException) -> str:
    """A one-line, agent-readable description of why a template failed."""
    if isinstance(exc, TemplateSyntaxError):
        where = f" (line {exc.lineno})" if exc.lineno else ""
        name = f" in partial '{exc.name}'" if exc.name else ""
        return f"Template syntax error{name}{where}: {exc.message}"
    if isinstance(exc, TemplateNotFound):
        return f"Unknown partial: {exc.message}"
    if isinstance(exc, SecurityError):
        return f"Template tried something the sandbox forbids: {exc}"
    if isinstance(exc, TemplateError):
        return f"Template error: {exc.message or exc.__class__.__name__}"
    return f"Template error: {exc.__class__.__name__}: {exc}"


def template_meta(version: PromptVersion) -> dict[str, Any]:
    """``meta`` in the context: which template version produced this prompt."""
    template = version.template
    return {
        "templateId": template.pk,
        "templateSlug": template.slug,
        "versionId": version.pk,
        "versionNumber": version.version,
    }


def render_prompt(*, version: PromptVersion, issue: Issue) -> RenderResult:
    """Render ``version`` for ``issue``. Never raises for anything the template does: a syntax
    error, an unknown partial or variable, a sandbox violation or an oversized output come back as
    ``RenderResult(prompt=None, error=...)``. Database errors while building the context do
    propagate: they are not the template's fault."""
    context = build_context(issue=issue, meta=template_meta(version))
    budget_token = _work_budget.set([MAX_WORK])
    try:
        template = compile_version(version)
        prompt = template.render(context)
    except DatabaseError:
        raise
    except Exception as exc:  # noqa: BLE001 - whatever a template does, the claim must stand
        return RenderResult(prompt=None, error=describe_error(exc))
    finally:
        _work_budget.reset(budget_token)
    if len(prompt) > MAX_OUTPUT_CHARS:
        return RenderResult(
            prompt=None,
            error=f"Rendered prompt is {len(prompt)} characters; the limit is {MAX_OUTPUT_CHARS}",
        )
    return RenderResult(prompt=prompt, error=None)


def check_content(content: str) -> list[str]:
    """Problems that make ``content`` unusable as a template version, found without rendering:
    syntax errors, unknown partials, and top-level names that are not in the context. Empty when
    the content is fine. (Attribute typos such as ``issue.titel`` only show at render time.)"""
    try:
        ast = ENVIRONMENT.parse(content)
    except TemplateSyntaxError as exc:
        return [describe_error(exc)]
    problems: list[str] = []
    for name in jinja_meta.find_referenced_templates(ast):
        if name is None:
            problems.append("Partials must be included by a literal name")
        elif name not in PARTIALS:
            problems.append(f"Unknown partial '{name}' (available: {', '.join(sorted(PARTIALS))})")
    allowed = CONTEXT_KEYS | set(ENVIRONMENT.globals)
    unknown = sorted(jinja_meta.find_undeclared_variables(ast) - allowed)
    if unknown:
        problems.append(
            f"Unknown variable(s): {', '.join(unknown)} (the context has: {', '.join(sorted(CONTEXT_KEYS))})"
        )
    return problems
