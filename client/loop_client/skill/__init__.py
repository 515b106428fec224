"""Loop's agent skill: ``SKILL.md`` (Agent Skills format) and ``reference.md`` beside it, shipped
as package data so ``loop skill show`` and ``loop connect`` always hand out the copy that matches
this client.

Every ```bash block in SKILL.md is executed, in order, against a live server by the test suite
(tests/client/test_skill_examples.py), so the examples cannot drift from the API.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

SKILL_NAME = "loop"
SKILL_FILE = "SKILL.md"
REFERENCE_FILE = "reference.md"
FILES = (SKILL_FILE, REFERENCE_FILE)

_FRONT_MATTER = re.compile(r"\A---\n(?P<head>.*?)\n---\n(?P<body>.*)\Z", re.DOTALL)


def read(name: str = SKILL_FILE) -> str:
    """The text of one of the skill's files (``SKILL.md`` or ``reference.md``)."""
    if name not in FILES:
        raise ValueError(f"the skill has no file {name!r}; it has {', '.join(FILES)}")
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


def files() -> dict[str, str]:
    """Every file of the skill, by name, as a tool's skills folder holds them."""
    return {name: read(name) for name in FILES}


@dataclass(frozen=True)
class Skill:
    name: str
    description: str
    body: str


def parse(text: str | None = None) -> Skill:
    """Split SKILL.md into its front matter (``name``, ``description``: one line each, as the
    file keeps them) and its Markdown body."""
    text = read() if text is None else text
    match = _FRONT_MATTER.match(text)
    if match is None:
        raise ValueError("SKILL.md has no front matter between --- lines")
    fields = {}
    for line in match["head"].splitlines():
        key, sep, value = line.partition(":")
        if not sep:
            raise ValueError(f"front matter line is not `key: value`: {line!r}")
        fields[key.strip()] = value.strip()
    return Skill(name=fields["name"], description=fields["description"], body=match["body"])
