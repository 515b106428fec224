"""How the CLI prints: rich tables and colours for people, ``--json`` for scripts and agents (the
API's own JSON, unchanged), ``--plain`` for pipes (tab-separated, no colour, no header).

Commands describe *what* to show (columns, rows, fields) and this module decides *how*.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from rich import box
from rich.console import Console, JustifyMethod
from rich.markup import escape
from rich.panel import Panel
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

from loop_client.sdk.models import Priority


class Mode(StrEnum):
    RICH = "rich"
    JSON = "json"
    PLAIN = "plain"


STATUS_STYLES = {
    "triage": "magenta",
    "backlog": "dim",
    "todo": "cyan",
    "in_progress": "yellow",
    "done": "green",
    "canceled": "dim strike",
}
PRIORITY_STYLES = {1: "bold red", 2: "red", 3: "yellow", 4: "blue", 0: "dim"}
TYPE_STYLES = {
    "signal": "red",
    "hypothesis": "magenta",
    "plan": "blue",
    "task": "default",
    "monitor": "cyan",
}
SEVERITY_STYLES = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "blue"}


def priority_text(priority: int) -> str:
    return Priority.LABELS.get(priority, str(priority))


def cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, (dict, list)):
        return json.dumps(value, default=str)
    return str(value)


@dataclass(frozen=True)
class Column:
    header: str
    style: str | None = None
    justify: JustifyMethod = "left"
    # Chooses a style per value (e.g. status colours); wins over `style`.
    style_of: Callable[[Any], str | None] | None = None
    no_wrap: bool = False


def status_column(header: str = "Status") -> Column:
    return Column(header, style_of=lambda v: STATUS_STYLES.get(str(v)), no_wrap=True)


def type_column(header: str = "Type") -> Column:
    return Column(header, style_of=lambda v: TYPE_STYLES.get(str(v)), no_wrap=True)


class Output:
    def __init__(
        self,
        mode: Mode = Mode.RICH,
        console: Console | None = None,
        err_console: Console | None = None,
    ):
        self.mode = mode
        # Consoles are made per run: the test runner and pipes swap sys.stdout between runs.
        self.console = console or Console(highlight=False, soft_wrap=False)
        self.err_console = err_console or Console(stderr=True, highlight=False)

    @property
    def is_json(self) -> bool:
        return self.mode is Mode.JSON

    @property
    def is_rich(self) -> bool:
        return self.mode is Mode.RICH

    # --- data ---

    def json(self, payload: Any) -> None:
        # Straight to stdout, never through rich: no wrapping, no markup, exactly parseable.
        sys.stdout.write(json.dumps(payload, indent=2, default=str) + "\n")

    def table(
        self,
        columns: Sequence[Column],
        rows: Sequence[Sequence[Any]],
        *,
        title: str | None = None,
        caption: str | None = None,
        empty: str = "Nothing to show.",
    ) -> None:
        if self.mode is Mode.PLAIN:
            for row in rows:
                sys.stdout.write(
                    "\t".join(cell_text(v).replace("\t", " ").replace("\n", " ") for v in row)
                    + "\n"
                )
            return
        if not rows:
            self.console.print(Text(empty, style="dim"))
            return
        table = Table(title=title, caption=caption, box=box.SIMPLE_HEAVY, header_style="bold")
        for column in columns:
            table.add_column(
                column.header, style=column.style, justify=column.justify, no_wrap=column.no_wrap
            )
        for row in rows:
            cells = []
            for column, value in zip(columns, row, strict=False):
                style = column.style_of(value) if column.style_of else None
                cells.append(Text(cell_text(value), style=style or ""))
            table.add_row(*cells)
        self.console.print(table)

    def record(
        self, title: str, fields: Sequence[tuple[str, Any]], *, subtitle: str | None = None
    ) -> None:
        """One object as label/value lines (``key<TAB>value`` in plain mode)."""
        if self.mode is Mode.PLAIN:
            for label, value in fields:
                sys.stdout.write(
                    f"{label}\t{cell_text(value if not isinstance(value, Text) else value.plain)}\n"
                )
            return
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="bold", no_wrap=True)
        grid.add_column()
        for label, value in fields:
            grid.add_row(label, value if isinstance(value, Text) else Text(cell_text(value)))
        self.console.print(
            Panel(grid, title=escape(title), subtitle=subtitle, title_align="left", expand=False)
        )

    def text_block(self, title: str, body: str) -> None:
        """Long text (a prompt, a description) shown as-is."""
        if self.mode is Mode.PLAIN:
            sys.stdout.write(body.rstrip("\n") + "\n")
            return
        # A rule, not a box: long prompts stay easy to read and to copy.
        self.console.print(Rule(escape(title), align="left", style="dim"))
        self.console.print(Text(body.rstrip("\n")))

    # --- messages (never on stdout in json/plain mode, so stdout stays parseable) ---

    def success(self, message: str) -> None:
        if self.mode is Mode.RICH:
            self.console.print(Text("✓ ", style="green") + Text(message))
        elif self.mode is Mode.PLAIN:
            sys.stdout.write(message + "\n")
        else:
            self.err_console.print(message, markup=False, soft_wrap=True)

    def info(self, message: str) -> None:
        if self.mode is Mode.RICH:
            self.console.print(Text(message, style="dim"))
        else:
            self.err_console.print(message, markup=False, soft_wrap=True)

    def warn(self, message: str) -> None:
        self.err_console.print(Text(message, style="yellow"))

    def error(
        self,
        message: str,
        *,
        status: int | None = None,
        details: dict[str, list[str]] | None = None,
        hint: str | None = None,
    ) -> None:
        if self.mode is Mode.JSON:
            payload: dict[str, Any] = {"error": message}
            if status is not None:
                payload["status"] = status
            if details:
                payload["fieldErrors"] = details
            if hint:
                payload["hint"] = hint
            sys.stderr.write(json.dumps(payload) + "\n")
            return
        self.err_console.print(Text("Error: ", style="bold red") + Text(message))
        for field, messages in (details or {}).items():
            self.err_console.print(Text(f"  {field}: {'; '.join(messages)}", style="red"))
        if hint:
            self.err_console.print(Text(hint, style="dim"))

    # --- progress ---

    @contextmanager
    def progress(self, description: str) -> Iterator[Callable[[int, int | None], None]]:
        """Yields ``advance(done, total)``. Draws a transient bar on stderr when a person is
        watching (rich mode, terminal); otherwise does nothing, so pipes and JSON stay clean."""
        if self.mode is not Mode.RICH or not self.err_console.is_terminal:
            yield lambda done, total: None
            return
        columns = (
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
        )
        with Progress(*columns, console=self.err_console, transient=True) as bar:
            task = bar.add_task(description, total=None)

            def advance(done: int, total: int | None) -> None:
                bar.update(task, completed=done, total=total)

            yield advance

    @contextmanager
    def spinner(self, description: str) -> Iterator[None]:
        if self.mode is not Mode.RICH or not self.err_console.is_terminal:
            yield
            return
        with self.err_console.status(description):
            yield
