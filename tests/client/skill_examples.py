"""How the skill's examples are pulled out of SKILL.md and run, mechanically.

- Every ```bash block is an example; they run in document order, each in a fresh `bash` with
  `set -euo pipefail`, `LOOP_API_URL` / `LOOP_API_KEY` set and `loop` on the PATH.
- A block may be followed, on the next line, by ``<!-- sets NAME=path NAME=path -->``: the block's
  stdout is then parsed as one JSON document, and each dotted ``path`` in it (``issue.id``,
  ``data.id``, ``meta.versionId``) becomes the environment variable ``NAME`` for every later
  block. Later captures of the same name replace earlier ones.
- curl runs with ``--fail-with-body``, so an HTTP error answer fails the example (the skill itself
  uses plain ``curl -s``, so an agent still sees the error body).
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

FENCE = re.compile(r"^```(?P<lang>[\w-]*)\n(?P<code>.*?)^```\n", re.DOTALL | re.MULTILINE)
SETS = re.compile(r"\A<!-- sets (?P<names>[^>]*?) -->\n")
VARIABLE = re.compile(r"\$\{?([A-Z][A-Z0-9_]*)\}?")
PRELUDE = 'set -euo pipefail\ncurl() { command curl --fail-with-body "$@"; }\n'
GIVEN = {"LOOP_API_URL", "LOOP_API_KEY"}


@dataclass(frozen=True)
class Example:
    index: int
    code: str
    sets: dict[str, str] = field(default_factory=dict)

    @property
    def uses(self) -> set[str]:
        return set(VARIABLE.findall(self.code))


@dataclass(frozen=True)
class Fence:
    lang: str
    code: str


def fences(markdown: str) -> list[Fence]:
    return [Fence(m["lang"], m["code"]) for m in FENCE.finditer(markdown)]


def extract(markdown: str) -> list[Example]:
    examples = []
    for match in FENCE.finditer(markdown):
        if match["lang"] != "bash":
            continue
        sets: dict[str, str] = {}
        after = SETS.match(markdown, match.end()) or SETS.match(markdown[match.end() :])
        if after:
            for pair in after["names"].split():
                name, _, path = pair.partition("=")
                sets[name] = path
        examples.append(Example(index=len(examples) + 1, code=match["code"], sets=sets))
    return examples


def dig(document: Any, path: str) -> Any:
    value = document
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            raise KeyError(f"{path!r}: no {part!r} in {json.dumps(value)[:300]}")
        value = value[part]
    return value


@dataclass
class Run:
    example: Example
    stdout: str
    stderr: str
    returncode: int


def run(example: Example, env: Mapping[str, str], timeout: float = 60) -> Run:
    result = subprocess.run(
        ["bash", "-c", PRELUDE + example.code],
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )
    return Run(example, result.stdout, result.stderr, result.returncode)
