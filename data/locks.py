"""Exclusive locks on outputs, so two runs never write one file or one training folder at once.

Two ``predict`` runs appending to one file interleave their chunks (and NUL-fill the gaps), and
``--resume`` cannot repair that. A run therefore holds an advisory ``flock`` on a lock file beside
its output for as long as it writes; a second run fails at once and says who holds it. The lock
file holds the holder's pid, host and command, and is removed when the holder lets go; the
kernel drops the lock of a killed run, so a stale lock file never blocks the next run.
"""
from __future__ import annotations

import contextlib
import fcntl
import os
import socket
import sys
import time
from pathlib import Path
from typing import Iterator


class LockedError(OSError):
    """Another run holds the lock; the message names the output and the holder."""


def lock_path_for(output: str | Path) -> Path:
    """The lock file of an output file (a hidden sibling) or of an output folder (inside it),
    for the file a path resolves to: two runs on one file, one of them through a symlink, take
    the same lock."""
    output = Path(os.path.realpath(output))
    if output.is_dir():
        return output / ".arabic-ie.lock"
    return output.with_name(f".{output.name}.lock")


def _holder() -> str:
    command = " ".join([Path(sys.argv[0]).name, *sys.argv[1:2]]) if sys.argv else "python"
    return f"pid {os.getpid()} on {socket.gethostname()} ({command}, since {time.strftime('%Y-%m-%d %H:%M:%S')})"


@contextlib.contextmanager
def exclusive_lock(output: str | Path, what: str = "output") -> Iterator[Path]:
    """Hold an exclusive lock on ``output`` for the block; :class:`LockedError` at once when
    another process holds it. Nothing is locked for ``-`` or a device such as ``/dev/null``."""
    output = Path(output)
    if str(output) == "-" or (output.exists() and not (output.is_file() or output.is_dir())):
        yield output
        return
    path = lock_path_for(output)
    path.parent.mkdir(parents=True, exist_ok=True)
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 4096).decode("utf-8", "replace").strip() or "another process"
            os.close(fd)
            raise LockedError(f"{what} {str(output)!r} is in use by another run: {holder}. Wait for it "
                              f"to finish or stop it (the lock is {path})") from None
        # the holder before us may have removed the file between our open and our lock: retry
        if _same_inode(fd, path):
            break
        os.close(fd)
    try:
        os.ftruncate(fd, 0)
        os.write(fd, (_holder() + "\n").encode("utf-8"))
        yield path
    finally:
        with contextlib.suppress(OSError):
            os.unlink(path)  # while still holding the lock, so no one locks a file about to vanish
        os.close(fd)


def _same_inode(fd: int, path: Path) -> bool:
    try:
        return os.path.samestat(os.fstat(fd), os.stat(path))
    except FileNotFoundError:
        return False
