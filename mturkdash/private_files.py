"""Files only this user may read: the var/ folder, the SQLite database, the credentials key.

Used by settings.py before Django starts, so it needs nothing of Django. A folder or file that
another user owns is left as it is (a shared volume, say); ours are tightened if found looser.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

from cryptography.fernet import Fernet

DIR_MODE = 0o700
FILE_MODE = 0o600


def _tighten(path: Path, mode: int) -> None:
    try:
        info = path.stat()
    except FileNotFoundError:
        return
    if info.st_uid == os.getuid() and info.st_mode & 0o777 & ~mode:
        path.chmod(mode)


def private_dir(path: Path) -> Path:
    """Make the folder (0700) if missing, and tighten it if ours and looser."""
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    _tighten(path, DIR_MODE)
    return path


def private_file(path: Path) -> Path:
    """Make an empty file (0600) if missing and its folder exists; tighten it if ours."""
    if str(path).startswith(":") or not path.parent.is_dir():
        return path  # SQLite's :memory:, or a folder that is not ours to make
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
    except FileExistsError:
        _tighten(path, FILE_MODE)
    return path


def fernet_key_file(path: Path) -> str:
    """This install's Fernet key, made on first use: a new random key in a 0600 file.

    Several processes may start at once (web, worker, beat): the key is written to a file of
    its own, then linked into place, so each one reads the same complete key.
    """
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    private_dir(path.parent)
    draft = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    try:
        with os.fdopen(fd, "w") as out:
            out.write(Fernet.generate_key().decode() + "\n")
        # Another process may have made it first: then theirs is the key.
        with contextlib.suppress(FileExistsError):
            os.link(draft, path)
    finally:
        draft.unlink(missing_ok=True)
    return path.read_text().strip()
