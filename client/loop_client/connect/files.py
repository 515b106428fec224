"""Planned file changes, shown as a diff and applied all-or-nothing.

Everything is computed and checked before the first byte is written: each new file is staged as a
temporary file beside its target, and only when every one is staged are they renamed into place
(atomic per file). If a rename still fails, the files already replaced get their old content back
and the files created are removed, so a run either changes everything it planned or nothing.
"""

from __future__ import annotations

import contextlib
import difflib
import os
import stat
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

SECRET_MODE = 0o600
DEFAULT_MODE = 0o644


class WriteError(Exception):
    """A file could not be read or written; the message is one plain sentence."""


@dataclass
class FileChange:
    path: Path
    old: str | None  # None: the file does not exist yet
    new: str
    # Holds a secret: written with mode 0600 and never shown in a diff.
    secret: bool = False
    # What the secret file gains, for the diff ("sets url, token").
    summary: str = ""

    @property
    def changed(self) -> bool:
        return self.old != self.new

    @property
    def created(self) -> bool:
        return self.old is None


def read_text(path: Path) -> str | None:
    """The file's text, or None when it does not exist."""
    try:
        return path.read_text(encoding="utf-8")
    except (FileNotFoundError, NotADirectoryError):
        return None  # a parent that is a file is reported when writing is checked
    except IsADirectoryError:
        raise WriteError(f"{path} is a directory, not a file") from None
    except UnicodeDecodeError:
        raise WriteError(f"{path} is not UTF-8 text; nothing was written") from None
    except OSError as exc:
        raise WriteError(f"cannot read {path}: {exc.strerror}") from None


def _check_writable(path: Path) -> None:
    if path.is_symlink() and not path.exists():
        raise WriteError(f"{path} is a broken symbolic link")
    if path.exists():
        if not path.is_file():
            raise WriteError(f"{path} is not a regular file")
        mode = path.stat().st_mode
        # Checked on the mode bits, not os.access: a file its owner made read-only is a "don't
        # touch" even for root.
        if not mode & stat.S_IWUSR or not os.access(path, os.W_OK):
            raise WriteError(f"{path} is read-only")
    parent = path.parent
    while not parent.exists():
        if parent.is_symlink():
            raise WriteError(f"{parent} is a broken symbolic link")
        parent = parent.parent
    if not parent.is_dir():
        raise WriteError(f"cannot create {path}: {parent} is not a directory")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise WriteError(f"cannot write in {parent}: permission denied")


def _target(path: Path) -> Path:
    # Write through symbolic links (CLAUDE.md -> AGENTS.md is common) instead of replacing them.
    return Path(os.path.realpath(path)) if path.is_symlink() else path


def _mode_for(change: FileChange, target: Path) -> int:
    if change.secret:
        return SECRET_MODE
    if target.exists():
        return stat.S_IMODE(target.stat().st_mode)
    umask = os.umask(0)
    os.umask(umask)
    return DEFAULT_MODE & ~umask


def check_changes(changes: Sequence[FileChange]) -> None:
    """Raise :class:`WriteError` if any changed file could not be written (writes nothing)."""
    for change in changes:
        if change.changed:
            _check_writable(_target(change.path))


def apply_changes(changes: Sequence[FileChange]) -> list[FileChange]:
    """Write every changed file, or none of them. Returns the changes that were written."""
    pending = [change for change in changes if change.changed]
    targets = [_target(change.path) for change in pending]
    check_changes(pending)

    made_dirs: list[Path] = []
    staged: list[tuple[FileChange, Path, str]] = []
    done: list[tuple[FileChange, Path]] = []
    try:
        for change, target in zip(pending, targets, strict=True):
            missing = []
            parent = target.parent
            while not parent.exists():
                missing.append(parent)
                parent = parent.parent
            for directory in reversed(missing):
                directory.mkdir(mode=0o700 if change.secret else 0o777)
                made_dirs.append(directory)
            staged.append((change, target, _stage(change, target)))
        for change, target, temp in staged:
            os.replace(temp, target)
            done.append((change, target))
    except OSError as exc:
        _roll_back(done, staged, made_dirs)
        where = exc.filename or (staged[-1][1] if staged else "a file")
        raise WriteError(f"cannot write {where}: {exc.strerror}; nothing was changed") from None
    return pending


def _stage(change: FileChange, target: Path) -> str:
    fd, temp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        # Mode first, content second: a secret is never readable by others, even for a moment.
        os.fchmod(fd, _mode_for(change, target))
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(change.new)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return temp


def _roll_back(
    done: list[tuple[FileChange, Path]],
    staged: list[tuple[FileChange, Path, str]],
    made_dirs: list[Path],
) -> None:
    # Best effort throughout: the error that caused the roll-back is the one to report.
    for change, target in reversed(done):
        with contextlib.suppress(OSError):
            if change.old is None:
                target.unlink(missing_ok=True)
            else:
                temp = _stage(FileChange(target, None, change.old, secret=change.secret), target)
                os.replace(temp, target)
    for _, _, temp in staged:
        Path(temp).unlink(missing_ok=True)
    for directory in reversed(made_dirs):
        with contextlib.suppress(OSError):  # a directory someone else wrote into stays
            directory.rmdir()


def render_diff(changes: Sequence[FileChange], root: Path) -> str:
    """A unified diff of every change; a secret file shows only what it gains, never its text."""
    parts = []
    for change in changes:
        if not change.changed:
            continue
        name = _display(change.path, root)
        if change.secret:
            verb = "create" if change.created else "update"
            parts.append(
                f"--- {name} (secret: contents not shown)\n"
                f"+++ {name}\n"
                f"# would {verb} it with mode 0600: {change.summary or 'sets the API key'}\n"
            )
            continue
        old = [] if change.old is None else change.old.splitlines(keepends=True)
        new = change.new.splitlines(keepends=True)
        diff = difflib.unified_diff(
            old,
            new,
            fromfile="/dev/null" if change.old is None else f"a/{name}",
            tofile=f"b/{name}",
        )
        text = "".join(line if line.endswith("\n") else line + "\n" for line in diff)
        parts.append(text)
    return "".join(parts)


def _display(path: Path, root: Path) -> str:
    try:
        return str(path.resolve().relative_to(root.resolve()))
    except ValueError:
        home = Path.home()
        try:
            return "~/" + str(path.resolve().relative_to(home.resolve()))
        except ValueError:
            return str(path)
