"""The edits `loop connect` makes inside files the user owns: only Loop's own part changes."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from loop_client.connect import files as files_module
from loop_client.connect.edits import (
    BEGIN,
    END,
    EditError,
    block_content,
    ensure_line,
    env_values,
    merge_mcp_server,
    upsert_block,
    upsert_env,
)
from loop_client.connect.files import (
    FileChange,
    WriteError,
    apply_changes,
    read_text,
    render_diff,
)

ENTRY = {"command": "loop-mcp", "args": ["--profile", "core"]}


# --- Markdown blocks ---------------------------------------------------------------------------


def test_block_is_created_appended_and_replaced_in_place():
    assert upsert_block(None, "hello") == f"{BEGIN}\nhello\n{END}\n"
    user = "# Project\n\nUse tabs.\n"
    once = upsert_block(user, "v1")
    assert once.startswith(user) and once.endswith(f"{BEGIN}\nv1\n{END}\n")
    assert upsert_block(once, "v1") == once
    after = once + "\n## Later section\nKeep me.\n"
    replaced = upsert_block(after, "v2")
    assert replaced == after.replace(f"{BEGIN}\nv1\n{END}", f"{BEGIN}\nv2\n{END}")
    assert block_content(replaced) == "v2"


def test_block_markers_written_by_hand_are_recognised():
    text = "intro\n<!-- loop:begin -->\nold\n<!-- loop:end -->\noutro\n"
    assert upsert_block(text, "new") == f"intro\n{BEGIN}\nnew\n{END}\noutro\n"


@pytest.mark.parametrize(
    "text",
    [
        "<!-- loop:begin -->\nno end\n",
        "<!-- loop:end -->\n<!-- loop:begin -->\n",
        "<!-- loop:begin -->\na\n<!-- loop:end -->\n<!-- loop:begin -->\nb\n<!-- loop:end -->\n",
    ],
)
def test_malformed_markers_are_refused(text):
    with pytest.raises(EditError, match="markers"):
        upsert_block(text, "x")


# --- JSON MCP configs ----------------------------------------------------------------------------


def test_new_config_is_plain_json():
    text = merge_mcp_server(None, "loop", ENTRY)
    assert json.loads(text) == {"mcpServers": {"loop": ENTRY}}
    assert text.endswith("}\n")


def test_other_servers_keys_and_formatting_are_kept():
    text = (
        "{\n"
        '    "mcpServers": {\n'
        '        "github": {"command": "gh-mcp"},\n'
        '        "db": {\n'
        '            "command": "db-mcp"\n'
        "        }\n"
        "    },\n"
        '    "other": [1, 2]\n'
        "}\n"
    )
    merged = merge_mcp_server(text, "loop", ENTRY)
    data = json.loads(merged)
    assert data["mcpServers"] == {
        "github": {"command": "gh-mcp"},
        "db": {"command": "db-mcp"},
        "loop": ENTRY,
    }
    assert data["other"] == [1, 2]
    # Everything before the insertion point is byte-identical, and the new entry uses the
    # file's own four-space indentation.
    assert merged.startswith(text[: text.index("        }\n") + len("        }")])
    assert '        "loop": {\n            "command": "loop-mcp",' in merged
    assert merge_mcp_server(merged, "loop", ENTRY) == merged


def test_existing_loop_entry_is_replaced_and_nothing_else_moves():
    text = json.dumps(
        {"mcpServers": {"a": {"command": "a"}, "loop": {"command": "old"}, "z": {"url": "u"}}},
        indent="\t",
    )
    merged = merge_mcp_server(text, "loop", ENTRY)
    assert json.loads(merged)["mcpServers"] == {
        "a": {"command": "a"},
        "loop": ENTRY,
        "z": {"url": "u"},
    }
    before, after = text.split('"loop": ')
    assert merged.startswith(before + '"loop": ')
    assert merged.endswith(after[after.index("}") + 1 :])
    assert "\t\t\t" in merged  # tabs stay tabs


def test_one_line_and_empty_objects():
    compact = '{"mcpServers": {"a": {"command": "a"}}}'
    merged = merge_mcp_server(compact, "loop", ENTRY)
    assert "\n" not in merged and json.loads(merged)["mcpServers"]["loop"] == ENTRY
    for empty in ("{}", "{}\n", '{"mcpServers": {}}\n', "  {\n  }\n"):
        result = json.loads(merge_mcp_server(empty, "loop", ENTRY))
        assert result["mcpServers"]["loop"] == ENTRY
    no_servers = merge_mcp_server('{\n  "theme": "dark"\n}\n', "loop", ENTRY)
    assert json.loads(no_servers) == {"theme": "dark", "mcpServers": {"loop": ENTRY}}
    assert no_servers.startswith('{\n  "theme": "dark",\n  "mcpServers": {\n    "loop": {')


def test_strings_with_braces_and_escapes_do_not_confuse_the_scanner():
    text = '{"note": "a } \\" { tricky", "mcpServers": {"x": {"args": ["}", "\\\\"]}}}'
    merged = merge_mcp_server(text, "loop", ENTRY)
    assert json.loads(merged) == {
        "note": 'a } " { tricky',
        "mcpServers": {"x": {"args": ["}", "\\"]}, "loop": ENTRY},
    }


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"mcpServers": {} // comment\n}', "not valid JSON"),
        ("[1, 2]", "top level is not a JSON object"),
        ('{"mcpServers": []}', '"mcpServers" is not a JSON object'),
    ],
)
def test_configs_that_cannot_be_merged_safely_are_refused(text, message):
    with pytest.raises(EditError, match=message):
        merge_mcp_server(text, "loop", ENTRY)


# --- env files and .gitignore ----------------------------------------------------------------


def test_env_file_keeps_other_lines_and_replaces_ours():
    text = "# mine\nDEBUG=1\nexport LOOP_API_KEY=old\nLOOP_API_KEY=dup\n"
    updated = upsert_env(text, {"LOOP_API_URL": "http://x", "LOOP_API_KEY": "new"})
    assert updated == "# mine\nDEBUG=1\nLOOP_API_KEY=new\nLOOP_API_URL=http://x\n"
    assert env_values(updated)["LOOP_API_KEY"] == "new"
    assert upsert_env(updated, {"LOOP_API_URL": "http://x", "LOOP_API_KEY": "new"}) == updated
    with pytest.raises(EditError):
        upsert_env(None, {"LOOP_API_KEY": "a\nb"})


def test_ensure_line():
    assert ensure_line(None, ".env.loop", "# why") == "# why\n.env.loop\n"
    assert ensure_line("node_modules", ".env.loop") == "node_modules\n\n.env.loop\n"
    assert ensure_line("a\n.env.loop\n", ".env.loop") == "a\n.env.loop\n"


# --- writing ----------------------------------------------------------------------------------


def test_changes_are_written_atomically_with_modes(tmp_path):
    existing = tmp_path / "keep.md"
    existing.write_text("old\n")
    existing.chmod(0o640)
    changes = [
        FileChange(existing, "old\n", "new\n"),
        FileChange(tmp_path / "deep" / "er" / "new.json", None, "{}\n"),
        FileChange(tmp_path / "secret.env", None, "K=v\n", secret=True),
        FileChange(tmp_path / "same.txt", "x", "x"),
    ]
    written = apply_changes(changes)
    assert [c.path.name for c in written] == ["keep.md", "new.json", "secret.env"]
    assert existing.read_text() == "new\n" and stat.S_IMODE(existing.stat().st_mode) == 0o640
    assert stat.S_IMODE((tmp_path / "secret.env").stat().st_mode) == 0o600
    assert not (tmp_path / "same.txt").exists()  # unchanged: never touched
    assert not list(tmp_path.rglob("*.tmp"))


def test_a_failure_half_way_restores_everything(tmp_path, monkeypatch):
    first = tmp_path / "first.md"
    first.write_text("first\n")
    changes = [
        FileChange(first, "first\n", "changed\n"),
        FileChange(tmp_path / "new" / "second.md", None, "second\n"),
        FileChange(tmp_path / "third.md", None, "third\n"),
    ]
    real_replace = os.replace
    calls = []

    def flaky(src, dst):
        calls.append(dst)
        if len(calls) == 3:
            raise OSError(28, "No space left on device", str(dst))
        real_replace(src, dst)

    monkeypatch.setattr(files_module.os, "replace", flaky)
    with pytest.raises(WriteError, match="No space left on device; nothing was changed"):
        apply_changes(changes)
    monkeypatch.setattr(files_module.os, "replace", real_replace)
    assert first.read_text() == "first\n"
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["first.md"]


def test_unwritable_targets_are_refused_before_anything_is_written(tmp_path):
    readonly = tmp_path / "CLAUDE.md"
    readonly.write_text("mine\n")
    readonly.chmod(0o444)
    blocker = tmp_path / ".cursor"
    blocker.write_text("a file where a folder should be")
    ok = FileChange(tmp_path / "fine.md", None, "x\n")
    with pytest.raises(WriteError, match="read-only"):
        apply_changes([ok, FileChange(readonly, "mine\n", "theirs\n")])
    with pytest.raises(WriteError, match="is not a directory"):
        apply_changes([ok, FileChange(blocker / "mcp.json", None, "{}")])
    assert not ok.path.exists() and readonly.read_text() == "mine\n"


def test_symlinked_file_is_written_through(tmp_path):
    target = tmp_path / "AGENTS.md"
    target.write_text("agents\n")
    link = tmp_path / "CLAUDE.md"
    link.symlink_to("AGENTS.md")
    apply_changes([FileChange(link, "agents\n", "both\n")])
    assert link.is_symlink() and target.read_text() == "both\n"


def test_read_text_and_diff(tmp_path):
    assert read_text(tmp_path / "missing") is None
    (tmp_path / "bin").write_bytes(b"\xff\xfe")
    with pytest.raises(WriteError, match="not UTF-8"):
        read_text(tmp_path / "bin")
    diff = render_diff(
        [
            FileChange(tmp_path / "a.md", "one\n", "one\ntwo\n"),
            FileChange(
                Path("/elsewhere/config.json"),
                None,
                '{"token": "s3cret"}',
                secret=True,
                summary="sets the key",
            ),
        ],
        tmp_path,
    )
    assert "--- a/a.md\n+++ b/a.md\n" in diff and "+two\n" in diff
    assert "s3cret" not in diff and "sets the key" in diff
