"""Shards for distributed tagging: find the input shards, name their outputs, and mark each
output complete.

Input is a folder, a glob or one file, on the local disk or behind any filesystem URI that
pyarrow knows (``s3://``, ``gs://``, ``hdfs://``, ``file://``). Each input shard gets one
output file of the same relative name (``a/b.txt`` -> ``a/b.jsonl``). An output is moved into
place whole, then a small manifest ``_done/<output>.json`` is written, last and atomically:
a shard is complete exactly when its manifest exists (and still describes the same input), so
a rerun after a kill redoes the shards without one and never appends to a shard twice.
"""
from __future__ import annotations

import contextlib
import fnmatch
import json
import os
import posixpath
import shutil
import tempfile
from dataclasses import asdict, dataclass
from typing import Any, Iterator

SHARD_EXTENSIONS = (".txt", ".jsonl", ".json", ".parquet", ".conll", ".bio", ".iob", ".tsv")
DONE = "_done"  # manifests of complete shards, inside the output folder
STAGING = "_partial"  # outputs being written (local output folders)
OUTPUT_EXTENSIONS = {"jsonl": ".jsonl", "doccano": ".jsonl", "conll": ".conll"}


def filesystem(location: str) -> tuple[Any, str]:
    """``(pyarrow filesystem, path in it)`` for a local path or a URI."""
    from pyarrow import fs

    if "://" in location:
        return fs.FileSystem.from_uri(location)
    return fs.LocalFileSystem(), os.path.abspath(location)


def is_local(filesystem_: Any) -> bool:
    """Whether a pyarrow filesystem is the local disk (where files are renamed into place and fsynced)."""
    from pyarrow import fs

    return isinstance(filesystem_, fs.LocalFileSystem)


@dataclass(frozen=True)
class Shard:
    """One input file: its place in the sorted listing, its name under the root, its size."""

    index: int
    name: str
    size: int


@dataclass
class ShardSet:
    """The input shards under ``root`` (a folder path or URI, as given)."""

    root: str
    shards: list[Shard]


def _split_glob(path: str) -> tuple[str, str | None]:
    """``(folder before the first wildcard, pattern after it)``; no pattern without a wildcard."""
    parts = path.split("/")
    for k, part in enumerate(parts):
        if any(c in part for c in "*?["):
            return "/".join(parts[:k]) or "/", "/".join(parts[k:])
    return path, None


def list_shards(location: str) -> ShardSet:
    """Every shard file under a folder (recursively, skipping ``.hidden`` and ``_private`` names),
    matching a glob, or the one file given; sorted by name, so the order is stable."""
    from pyarrow import fs

    filesystem_, path = filesystem(location)
    base, pattern = _split_glob(path)
    info = filesystem_.get_file_info(base)
    if info.type == fs.FileType.NotFound:
        raise FileNotFoundError(f"no such input: {location}")
    if info.type == fs.FileType.File and pattern is None:
        root = location[: len(location) - len(posixpath.basename(path))].rstrip("/") or "."
        return ShardSet(root, [Shard(0, posixpath.basename(path), info.size)])
    found = []
    for entry in filesystem_.get_file_info(fs.FileSelector(base, recursive=True)):
        name = posixpath.relpath(entry.path, base)
        if entry.type != fs.FileType.File or any(p.startswith((".", "_")) for p in name.split("/")):
            continue
        if pattern is not None and not fnmatch.fnmatch(name, pattern):
            continue
        if pattern is None and not name.lower().endswith(SHARD_EXTENSIONS):
            continue
        found.append((name, entry.size))
    if not found:
        raise FileNotFoundError(f"no input shards in {location}")
    root = location if pattern is None else location[: location.index(pattern)].rstrip("/")
    return ShardSet(root, [Shard(k, name, size) for k, (name, size) in enumerate(sorted(found))])


@contextlib.contextmanager
def local_copy(root: str, name: str) -> Iterator[str]:
    """A local path to read a shard from: the file itself on a local disk, else a temporary copy."""
    from pyarrow import fs

    filesystem_, base = filesystem(root)
    source = posixpath.join(base, name)
    if is_local(filesystem_):
        yield source
        return
    folder = tempfile.mkdtemp(prefix="arabic-ie-shard-")
    try:
        target = os.path.join(folder, posixpath.basename(name))
        fs.copy_files(source, target, source_filesystem=filesystem_, destination_filesystem=fs.LocalFileSystem())
        yield target
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@dataclass
class Manifest:
    """What a complete shard's marker says: enough to tell a stale one from a good one."""

    input: str
    input_bytes: int
    outputs: list[str]
    records: int
    errors: int


class OutputFolder:
    """The output folder (path or URI): where each shard's output goes, and its manifest."""

    def __init__(self, location: str, format: str):
        self.location, self.format = location, format
        self.fs, self.base = filesystem(location)
        self.fs.create_dir(self.base, recursive=True)

    def output_name(self, shard: Shard) -> str:
        """The shard's output file name: its input name with the output format's extension."""
        stem, _ = posixpath.splitext(shard.name)
        return stem + OUTPUT_EXTENSIONS[self.format]

    def check_names(self, shards: list[Shard]) -> None:
        """Two inputs (``a.txt`` and ``a.jsonl``) must not write the same output."""
        seen: dict[str, str] = {}
        for shard in shards:
            name = self.output_name(shard)
            if name in seen:
                raise ValueError(f"input shards {seen[name]} and {shard.name} would both write {name}")
            seen[name] = shard.name

    def _manifest_path(self, shard: Shard) -> str:
        return posixpath.join(self.base, DONE, self.output_name(shard) + ".json")

    def manifest(self, shard: Shard) -> Manifest | None:
        """The shard's completion manifest, or None when there is none or it cannot be read."""
        try:
            with self.fs.open_input_stream(self._manifest_path(shard)) as handle:
                return Manifest(**json.loads(handle.read()))
        except (FileNotFoundError, OSError, ValueError, TypeError):
            return None

    def is_done(self, shard: Shard) -> bool:
        """Complete: a manifest for this very input (same name and size)."""
        manifest = self.manifest(shard)
        return manifest is not None and (manifest.input, manifest.input_bytes) == (shard.name, shard.size)

    def forget_done(self) -> None:
        """A fresh (not resumed) run: every shard is to be redone."""
        self.fs.delete_dir_contents(posixpath.join(self.base, DONE), missing_dir_ok=True)

    @contextlib.contextmanager
    def staging(self) -> Iterator[str]:
        """A local folder to write outputs in before they are published: inside the output
        folder on a local disk (so publishing is a rename), a temporary folder otherwise."""
        if is_local(self.fs):
            folder = os.path.join(self.base, STAGING)
            os.makedirs(folder, exist_ok=True)
            yield folder
            with contextlib.suppress(OSError):  # left in place while a killed shard's file is in it
                os.rmdir(folder)
            return
        folder = tempfile.mkdtemp(prefix="arabic-ie-out-")
        try:
            yield folder
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def publish(self, shard: Shard, files: dict[str, str], records: int, errors: int) -> None:
        """Move each staged file (output name -> local path) into place, then write the manifest
        last: a kill before it leaves the shard incomplete, to be redone whole."""
        from pyarrow import fs

        for name, local in files.items():
            target = posixpath.join(self.base, name)
            if is_local(self.fs):
                os.makedirs(os.path.dirname(target), exist_ok=True)
                os.replace(local, target)
            else:  # an object store writes an object whole or not at all
                fs.copy_files(local, target, source_filesystem=fs.LocalFileSystem(), destination_filesystem=self.fs)
        manifest = Manifest(shard.name, shard.size, sorted(files), records, errors)
        data = json.dumps(asdict(manifest), ensure_ascii=False).encode("utf-8")
        path = self._manifest_path(shard)
        self.fs.create_dir(posixpath.dirname(path), recursive=True)
        if is_local(self.fs):
            tmp = path + ".tmp"
            with open(tmp, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, path)
        else:
            with self.fs.open_output_stream(path) as handle:
                handle.write(data)
