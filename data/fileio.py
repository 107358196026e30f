"""Line-level file access shared by every format: strict UTF-8 with line numbers, ``-`` for
stdin/stdout, and atomic writes so a killed run never leaves a half-written file."""
from __future__ import annotations

import contextlib
import errno
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import IO, Iterator

from .errors import CorpusError, Problem


def why_writing_failed(err: BaseException, folder: str | Path) -> str:
    """A plain reason for a failed write: the disk is full, a quota or a file-size limit was
    reached, or (when the library gave no errno, as torch's C++ writer does) which of those the
    machine shows now."""
    import resource
    import shutil

    import re

    code = getattr(err, "errno", None)
    found = re.search(r"os error (\d+)", str(err))  # safetensors' Rust I/O errors carry it in the text
    if code is None and found:
        code = int(found.group(1))
    if code == errno.ENOSPC:
        return "the disk is full"
    if code == errno.EDQUOT:
        return "the disk quota is exceeded"
    if code == errno.EFBIG:
        return "the file-size limit (ulimit -f) was reached"
    with contextlib.suppress(OSError, ValueError):
        limit = resource.getrlimit(resource.RLIMIT_FSIZE)[0]
        if limit != resource.RLIM_INFINITY:
            return f"the file-size limit (ulimit -f) of {limit} bytes was reached, or the disk is full"
    with contextlib.suppress(OSError):
        target = Path(folder)
        while not target.exists() and target != target.parent:
            target = target.parent
        if shutil.disk_usage(target).free < 16 << 20:
            return "the disk is full"
    first = (str(err).strip().splitlines() or [type(err).__name__])[0]
    return f"writing failed ({first[:200]})"


def current_umask() -> int:
    """The process umask (read by setting it and setting it back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def same_file(a: str | Path, b: str | Path) -> bool:
    """Whether two paths name one file (same device and inode, so symlinks and hard links count):
    writing an output over its own input would destroy the input before it is read."""
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist (yet): not the same file
        return False


def exchange_paths(a: str | Path, b: str | Path) -> bool:
    """Swap two existing paths in one atomic step (Linux ``renameat2`` with ``RENAME_EXCHANGE``);
    False where the system or the file system cannot, and nothing was changed."""
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(b))


def install_folder(tmp: str | Path, target: str | Path) -> Path:
    """Move a finished temporary folder into place as ``target``. An older folder there is
    exchanged with it in one atomic step, so a reader loading ``target`` meanwhile sees the old
    folder or the new one, never none or half of either (two renames, where the system cannot
    exchange). Its files get the modes the umask gives (libraries write some through 0600
    temporary files, and others could not load them)."""
    tmp, target = Path(tmp), Path(target)
    tmp.chmod(0o777 & ~current_umask())
    for file in tmp.rglob("*"):
        if file.is_file():
            file.chmod(0o666 & ~current_umask())
    if not target.exists():
        os.replace(tmp, target)
    elif exchange_paths(tmp, target):
        shutil.rmtree(tmp, ignore_errors=True)  # tmp now holds the old folder
    else:
        old = target.with_name(f".{target.name}.old")
        shutil.rmtree(old, ignore_errors=True)
        os.replace(target, old)
        os.replace(tmp, target)
        shutil.rmtree(old, ignore_errors=True)
    return target


def iter_raw_lines(path: str | Path) -> Iterator[tuple[int, bytes]]:
    """``(line_number, bytes)`` without the line ending, ``-`` for stdin; a UTF-8 BOM that starts
    a line is dropped (on line 1, or mid-file where ``cat a.jsonl b.jsonl`` joined files that each
    had one). Callers decide what an undecodable line means (an error, or an error record)."""
    stream: IO[bytes] = sys.stdin.buffer if str(path) == "-" else open(path, "rb")
    try:
        for number, raw in enumerate(stream, 1):
            if raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            yield number, raw.rstrip(b"\r\n")
    finally:
        if stream is not sys.stdin.buffer:
            stream.close()


def check_input_file(path: str | Path) -> None:
    """:class:`CorpusError` naming a missing input file, or a folder given as one, as such
    (instead of "cannot tell the format" or a bare errno); ``-`` (stdin) passes."""
    if str(path) == "-":
        return
    if not os.path.exists(path):
        raise CorpusError(path, 0, "no such file" + ("" if Path(path).parent.exists()
                                                     else f" (not even the folder {str(Path(path).parent)!r})"))
    if os.path.isdir(path):
        raise CorpusError(path, 0, "is a folder, not a file (name the files inside it)")


BINARY_MESSAGE = "a binary file (it holds NUL bytes), not UTF-8 text"


def decode_line(raw: bytes) -> str:
    """Strict UTF-8; ``ValueError`` saying where a line of another encoding breaks."""
    if b"\0" in raw:
        raise ValueError(BINARY_MESSAGE)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ValueError(f"not valid UTF-8 at byte {err.start} "
                         "(mixed or wrong encoding; convert the file to UTF-8)") from None


def iter_lines(path: str | Path, problems: list[Problem] | None = None) -> Iterator[tuple[int, str]]:
    """Yield ``(line_number, line)`` without the newline, decoding each line as strict UTF-8.

    A line that is not UTF-8 (a file with mixed encodings, say) raises :class:`CorpusError`, or is
    reported to ``problems`` and skipped when a list is given. An empty file is an error too.
    """
    check_input_file(path)
    seen_any = undecodable = False
    for number, raw in iter_raw_lines(path):
        try:
            line = decode_line(raw)
        except ValueError as err:
            if problems is None:
                raise CorpusError(path, number, str(err)) from None
            if not seen_any and str(err) == BINARY_MESSAGE:  # one problem, not one per "line"
                problems.append(Problem(str(path), 0, BINARY_MESSAGE))
                return
            problems.append(Problem(str(path), number, str(err)))
            undecodable = True
            continue
        seen_any = seen_any or bool(line.strip())
        yield number, line
    if not seen_any:
        message = "no line is valid UTF-8 (another encoding?)" if undecodable else "the file is empty"
        problem = Problem(str(path), 0, message)
        if problems is None:
            raise CorpusError(problem.path, 0, problem.message)
        problems.append(problem)


def _reaches_a_descriptor(path: str | Path) -> bool:
    """Whether ``path`` or a link on its way is under ``/dev`` or ``/proc`` (``/dev/stdout``,
    ``/proc/self/fd/1``): an open descriptor's file, written in place or not at all."""
    current = os.path.abspath(path)
    for _ in range(40):  # the kernel's own limit on links followed
        if current.startswith(("/dev/", "/proc/")):
            return True
        if not os.path.islink(current):
            return False
        current = os.path.join(os.path.dirname(current), os.readlink(current))
    return False


@contextlib.contextmanager
def atomic_open(path: str | Path, mode: str = "w") -> Iterator[IO[str]]:
    """Open ``path`` for writing through a temporary file in the same folder, renamed into place
    only when the block succeeds: readers see the old file or the whole new one, never half.
    ``-``, a device or FIFO, and ``/dev/...`` or ``/proc/...`` paths (``/dev/stdout`` redirected
    to a file resolves to that file, but a rename would replace the link and write nothing into
    the shell's file) are written directly; a symlink's target is replaced, the link kept."""
    if str(path) == "-":
        yield sys.stdout
        sys.stdout.flush()
        return
    if _reaches_a_descriptor(path) or (Path(path).exists() and not Path(path).is_file()):
        with open(path, mode, encoding="utf-8", newline="\n") as handle:
            yield handle
        return
    path = Path(os.path.realpath(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.fchmod(fd, 0o666 & ~current_umask())  # mkstemp makes 0600; the output gets what open() would
    try:
        with os.fdopen(fd, mode, encoding="utf-8", newline="\n") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
