"""Edits that touch only what ``loop connect`` owns inside files that belong to the user: a marked
block in Markdown, one server entry in a JSON MCP config, a few keys in an env file, one line in
``.gitignore``. Everything else in those files is kept byte for byte.

Each function takes the file's current text (None when it does not exist) and returns the new
text; the same input twice gives the same output, so a second run changes nothing.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any


class EditError(ValueError):
    """The file is not in a shape that can be edited safely; the message says why."""


# --- Markdown: <!-- loop:begin --> ... <!-- loop:end --> -------------------------------------

BEGIN = "<!-- loop:begin (managed by `loop connect`: edits inside are replaced) -->"
END = "<!-- loop:end -->"
_BEGIN = re.compile(r"^[ \t]*<!-- loop:begin\b[^\n]*?-->[ \t]*$", re.MULTILINE)
_END = re.compile(r"^[ \t]*<!-- loop:end -->[ \t]*$", re.MULTILINE)


def upsert_block(text: str | None, body: str) -> str:
    """Put ``body`` between the Loop markers: replace the block if there is one, else append it
    after the existing content (separated by a blank line)."""
    block = f"{BEGIN}\n{body.strip(chr(10))}\n{END}"
    if not text:
        return block + "\n"
    begins, ends = list(_BEGIN.finditer(text)), list(_END.finditer(text))
    if not begins and not ends:
        return text.rstrip("\n") + "\n\n" + block + "\n"
    if len(begins) != 1 or len(ends) != 1 or ends[0].start() < begins[0].end():
        raise EditError(
            "its `<!-- loop:begin -->` / `<!-- loop:end -->` markers are not one well-formed pair"
        )
    return text[: begins[0].start()] + block + text[ends[0].end() :]


def block_content(text: str | None) -> str | None:
    """What is between the markers now, or None when there is no block."""
    if not text:
        return None
    begin, end = _BEGIN.search(text), _END.search(text)
    if begin is None or end is None or end.start() < begin.end():
        return None
    return text[begin.end() : end.start()].strip("\n")


# --- JSON: one entry of "mcpServers" ---------------------------------------------------------


@dataclass
class _Node:
    start: int
    end: int
    members: list[tuple[str, int, _Node]] = field(default_factory=list)  # (key, key_start, value)

    def member(self, key: str) -> tuple[str, int, _Node] | None:
        found = [m for m in self.members if m[0] == key]
        return found[-1] if found else None  # duplicates: JSON parsers keep the last


class _Scanner:
    """Finds where each value starts and ends in text already known to be valid JSON."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def _ws(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos] in " \t\r\n":
            self.pos += 1

    def value(self) -> _Node:
        self._ws()
        start = self.pos
        char = self.text[self.pos]
        if char == "{":
            node = _Node(start, start)
            self.pos += 1
            self._ws()
            if self.text[self.pos] == "}":
                self.pos += 1
            else:
                while True:
                    self._ws()
                    key_start = self.pos
                    key = json.loads(self.text[key_start : self._string_end()])
                    self._ws()
                    self.pos += 1  # ':'
                    node.members.append((key, key_start, self.value()))
                    self._ws()
                    closing = self.text[self.pos] == "}"
                    self.pos += 1  # ',' or '}'
                    if closing:
                        break
            node.end = self.pos
            return node
        if char == "[":
            self.pos += 1
            self._ws()
            if self.text[self.pos] == "]":
                self.pos += 1
            else:
                while True:
                    self.value()
                    self._ws()
                    closing = self.text[self.pos] == "]"
                    self.pos += 1
                    if closing:
                        break
            return _Node(start, self.pos)
        if char == '"':
            return _Node(start, self._string_end())
        while self.pos < len(self.text) and self.text[self.pos] not in ",]} \t\r\n":
            self.pos += 1
        return _Node(start, self.pos)

    def _string_end(self) -> int:
        self.pos += 1  # opening quote
        while self.text[self.pos] != '"':
            self.pos += 2 if self.text[self.pos] == "\\" else 1
        self.pos += 1
        return self.pos


def _indent_unit(text: str) -> str:
    for line in text.splitlines():
        stripped = line.lstrip(" \t")
        if stripped and len(stripped) < len(line):
            return line[: len(line) - len(stripped)]
    return "  "


def _line_indent(text: str, pos: int) -> str:
    line_start = text.rfind("\n", 0, pos) + 1
    prefix = text[line_start:pos]
    return prefix if not prefix.strip() else prefix[: len(prefix) - len(prefix.lstrip(" \t"))]


def _render(value: Any, indent: str, unit: str) -> str:
    lines = json.dumps(value, indent=unit, ensure_ascii=False).split("\n")
    return "\n".join([lines[0], *(indent + line for line in lines[1:])])


def _insert_member(text: str, obj: _Node, key: str, value: Any, unit: str) -> str:
    name = json.dumps(key, ensure_ascii=False)
    if obj.members:
        _, last_key_start, last_value = obj.members[-1]
        if "\n" not in text[obj.start : last_value.end]:
            # A one-line object stays on one line.
            addition = f", {name}: {json.dumps(value, ensure_ascii=False)}"
        else:
            indent = _line_indent(text, last_key_start)
            addition = f",\n{indent}{name}: {_render(value, indent, unit)}"
        return text[: last_value.end] + addition + text[last_value.end :]
    own = _line_indent(text, obj.start)
    inner = own + unit
    body = f"{{\n{inner}{name}: {_render(value, inner, unit)}\n{own}}}"
    return text[: obj.start] + body + text[obj.end :]


def merge_mcp_server(
    text: str | None, name: str, entry: dict[str, Any], container: str = "mcpServers"
) -> str:
    """Set ``container[name]`` to ``entry`` in a JSON MCP config, leaving every other server, key,
    indentation and line as it was. Raises :class:`EditError` for text that is not a JSON object
    (comments included: MCP configs are plain JSON)."""
    if text is None or not text.strip():
        return json.dumps({container: {name: entry}}, indent=2, ensure_ascii=False) + "\n"
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise EditError(f"it is not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise EditError("its top level is not a JSON object")
    servers = data.get(container)
    if servers is not None and not isinstance(servers, dict):
        raise EditError(f'its "{container}" is not a JSON object')
    if servers is not None and servers.get(name) == entry:
        return text
    unit = _indent_unit(text)
    root = _Scanner(text).value()
    if servers is None:
        return _insert_member(text, root, container, {name: entry}, unit)
    found = root.member(container)
    assert found is not None  # json.loads saw it
    servers_node = found[2]
    existing = servers_node.member(name)
    if existing is None:
        return _insert_member(text, servers_node, name, entry, unit)
    _, key_start, value = existing
    if "\n" in text[servers_node.start : servers_node.end]:
        rendered = _render(entry, _line_indent(text, key_start), unit)
    else:
        rendered = json.dumps(entry, ensure_ascii=False)
    return text[: value.start] + rendered + text[value.end :]


# --- env files and .gitignore ----------------------------------------------------------------

_ENV_LINE = re.compile(r"^(?:export\s+)?(?P<key>[A-Za-z_][A-Za-z0-9_]*)\s*=")


def upsert_env(text: str | None, values: dict[str, str], header: str = "") -> str:
    """Set ``KEY=value`` lines: replace the line of each key present, append the others; every
    other line stays."""
    for key, value in values.items():
        if "\n" in value or "\r" in value:
            raise EditError(f"the value for {key} spans lines")
    lines = (text or "").splitlines()
    seen: set[str] = set()
    out = []
    for line in lines:
        match = _ENV_LINE.match(line)
        name = match["key"] if match else None
        if name is not None and name in values:
            if name not in seen:
                out.append(f"{name}={values[name]}")
                seen.add(name)
            continue  # a repeated key would override ours when the file is loaded
        out.append(line)
    missing = [name for name in values if name not in seen]
    if missing:
        if not lines and header:
            out.append(header)
        out.extend(f"{name}={values[name]}" for name in missing)
    return "\n".join(out) + "\n"


def env_values(text: str | None) -> dict[str, str]:
    values = {}
    for line in (text or "").splitlines():
        match = _ENV_LINE.match(line)
        if match:
            values[match["key"]] = line[match.end() :].strip()
    return values


def ensure_line(text: str | None, line: str, comment: str = "") -> str:
    """Add ``line`` (e.g. a .gitignore pattern) unless the file already has it."""
    existing = (text or "").splitlines()
    if any(candidate.strip() == line for candidate in existing):
        return text or ""
    head = (text or "").rstrip("\n")
    addition = (f"{comment}\n" if comment else "") + line + "\n"
    return (head + "\n\n" if head else "") + addition
