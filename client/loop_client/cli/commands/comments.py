"""``loop comments``: read an issue's threads, add a comment or reply."""

from __future__ import annotations

import getpass
from collections.abc import Sequence
from typing import Annotated

import typer
from rich.text import Text
from rich.tree import Tree

from loop_client.cli.output import Column, Output
from loop_client.cli.params import read_text_arg
from loop_client.cli.state import client, command, out
from loop_client.sdk.models import AuthorType, Comment
from loop_client.sdk.resources._base import UNSET

app = typer.Typer(no_args_is_help=True)


def _author(comment: Comment) -> Text:
    style = "cyan" if comment.author_type == AuthorType.AGENT else "green"
    when = comment.created_at.strftime("%Y-%m-%d %H:%M") if comment.created_at else ""
    return Text.assemble(
        (comment.author_name, f"bold {style}"), (f" ({comment.author_type}) {when}", "dim")
    )


def show_threads(output: Output, threads: Sequence[Comment]) -> None:
    if not output.is_rich:
        rows = [
            [c.id, c.parent_id or "", c.author_name, c.author_type, c.body]
            for thread in threads
            for c in (thread, *thread.replies)
        ]
        output.table(
            [Column("ID"), Column("Reply to"), Column("Author"), Column("Kind"), Column("Body")],
            rows,
        )
        return
    tree = Tree(Text("Comments", style="bold"))
    for thread in threads:
        node = tree.add(Text.assemble(_author(thread), "\n", thread.body))
        for reply in thread.replies:
            node.add(Text.assemble(_author(reply), "\n", reply.body))
    output.console.print(tree)


@command(app, "list")
def list_comments(issue_id: Annotated[str, typer.Argument(help="Issue id.")]) -> None:
    """Show an issue's comments as threads, oldest first."""
    threads = client().comments.list(issue_id)
    output = out()
    if output.is_json:
        output.json({"data": [c.to_wire() for c in threads]})
        return
    if not threads:
        output.info("No comments.")
        return
    show_threads(output, threads)


@command(app, "add")
def add_comment(
    issue_id: Annotated[str, typer.Argument(help="Issue id.")],
    body: Annotated[str, typer.Argument(help="Comment text, @file, or - for stdin.")],
    author: Annotated[
        str | None, typer.Option("--author", help="Author name (default: your login name).")
    ] = None,
    agent: Annotated[
        bool, typer.Option("--agent", help="Post as an agent rather than a human.")
    ] = False,
    reply_to: Annotated[
        str | None, typer.Option("--reply-to", help="Comment id to reply to.")
    ] = None,
) -> None:
    """Comment on an issue (or reply to a comment)."""
    comment = client().comments.create(
        issue_id,
        body=read_text_arg(body, param="BODY").strip(),
        author_name=author or getpass.getuser(),
        author_type=AuthorType.AGENT if agent else AuthorType.HUMAN,
        parent_id=UNSET if reply_to is None else reply_to,
    )
    output = out()
    if output.is_json:
        output.json(comment.to_wire())
        return
    output.success(f"Comment {comment.id} added to {issue_id}")
