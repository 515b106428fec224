"""Side-by-side diff of two prompt versions, for the console's "diff vs active" page."""

from __future__ import annotations

import difflib
from dataclasses import dataclass


@dataclass(frozen=True)
class DiffRow:
    """One line pair of a side-by-side diff. ``kind`` is equal, replace, delete or insert, or gap
    for a folded run of unchanged lines; a side with no line has number None and text ""."""

    kind: str
    old_number: int | None
    old: str
    new_number: int | None
    new: str


GAP = DiffRow("gap", None, "", None, "")


def side_by_side(old: str, new: str, *, context: int = 3) -> list[DiffRow]:
    """Line pairs for a two-column diff, unchanged stretches folded to ``context`` lines around
    each change. Identical texts give no rows."""
    if old == new:
        return []
    old_lines, new_lines = old.splitlines(), new.splitlines()
    rows: list[DiffRow] = []
    matcher = difflib.SequenceMatcher(a=old_lines, b=new_lines, autojunk=False)
    last_old = 0
    for group in matcher.get_grouped_opcodes(context):
        if group[0][1] > last_old:
            rows.append(GAP)
        for tag, i1, i2, j1, j2 in group:
            for offset in range(max(i2 - i1, j2 - j1)):
                i, j = i1 + offset, j1 + offset
                rows.append(DiffRow(
                    tag,
                    i + 1 if i < i2 else None, old_lines[i] if i < i2 else "",
                    j + 1 if j < j2 else None, new_lines[j] if j < j2 else "",
                ))  # fmt: skip
        last_old = group[-1][2]
    if last_old < len(old_lines):
        rows.append(GAP)
    return rows
