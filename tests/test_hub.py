"""The hub round trip, end to end and offline: a small local server speaks the parts of the
Hugging Face Hub HTTP API that ``huggingface_hub`` uses to create a repo, commit files and download
them (``HEAD``/``GET /{repo}/resolve/{revision}/{file}``, ``/api/models/...``).

``huggingface_hub`` reads ``HF_ENDPOINT`` and ``HF_HUB_OFFLINE`` when it is imported, so the code
under test runs in subprocesses (``_CLIENT``), with a fresh cache under ``HF_HOME``. One online run
pushes, downloads and checks the error cases; the server is then stopped and an offline run loads
from the cache.
"""
from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import unquote, urlsplit

import pytest

from arabic_ie.model.hub import ModelLoadError, push_model

TEXTS = ["وسيطرت فصائل المعارضة على مدينة سراقب أمس الجمعة.",
         "التقى وزير الخارجية السعودي نظيره الأمريكي في الرياض."]
SUBPROCESS_TIMEOUT = 120
REFUSED_TOKEN = "hf_refused"  # the local hub answers 401 to it, as the hub does to a revoked token


# -- a local hub ------------------------------------------------------------------------------
def _blob_id(content: bytes) -> str:
    """Git's blob id, which the hub gives as a regular file's ETag and tree ``oid``."""
    return hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest()


def _commit_id(files: dict[str, bytes], parent: str) -> str:
    """A 40-hex commit id from the parent and the files (like git, but simpler)."""
    digest = hashlib.sha1(parent.encode())
    for path in sorted(files):
        digest.update(path.encode() + b"\0" + hashlib.sha256(files[path]).digest())
    return digest.hexdigest()


@dataclass
class Repo:
    """A model repo: commits (id -> files) and branches (name -> commit id)."""

    commits: dict[str, dict[str, bytes]] = field(default_factory=dict)
    branches: dict[str, str] = field(default_factory=dict)

    def commit(self, branch: str, files: dict[str, bytes], deleted: tuple[str, ...] = ()) -> str:
        parent = self.branches.get(branch, "")
        tree = {**self.commits.get(parent, {}), **files}
        for path in deleted:
            tree.pop(path, None)
        oid = _commit_id(tree, parent)
        self.commits[oid] = tree
        self.branches[branch] = oid
        return oid

    def resolve(self, revision: str) -> str | None:
        """The commit id of a branch name or a full commit id, or None."""
        revision = unquote(revision)
        if revision in self.branches:
            return self.branches[revision]
        return revision if revision in self.commits else None


class LocalHub:
    """Repos in memory, served over HTTP on 127.0.0.1 by a background thread."""

    def __init__(self) -> None:
        self.repos: dict[str, Repo] = {}
        self.requests: list[str] = []
        self.created: list[dict[str, Any]] = []  # the payloads of create-repo calls
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)

    def add_folder(self, repo_id: str, folder: Path) -> str:
        """Seed a repo with the files of a local folder; returns the commit id."""
        files = {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}
        repo = self.repos.setdefault(repo_id, Repo())
        return repo.commit("main", files)


class _HubError(Exception):
    def __init__(self, status: int, code: str | None, message: str, commit: str | None = None,
                 extra: dict[str, Any] | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.commit = status, code, message, commit
        self.extra = extra or {}


def _handler_for(hub: LocalHub) -> type[BaseHTTPRequestHandler]:
    class Handler(_HubHandler):
        pass

    Handler.hub = hub
    return Handler


class _HubHandler(BaseHTTPRequestHandler):
    """Routes: resolve (HEAD/GET), model info, create repo, validate yaml, preupload, branch, commit."""

    hub: LocalHub
    timeout = 10  # seconds a client may stall a connection: the server never hangs a test

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        pass

    # -- dispatch ------------------------------------------------------------------------------
    def do_HEAD(self) -> None:
        self._dispatch(body=False)

    def do_GET(self) -> None:
        self._dispatch(body=True)

    def do_POST(self) -> None:
        self._dispatch(body=True)

    def _dispatch(self, body: bool) -> None:
        path = urlsplit(self.path).path
        with self.hub.lock:
            self.hub.requests.append(f"{self.command} {path}")
        try:
            if self.headers.get("Authorization") == f"Bearer {REFUSED_TOKEN}":
                raise _HubError(401, None, "Invalid credentials in Authorization header")
            status, headers, content = self._route(self.command, path.strip("/").split("/"))
        except _HubError as err:
            status, content = err.status, json.dumps({"error": err.message, **err.extra}).encode()
            headers = {"Content-Type": "application/json", "X-Error-Message": err.message}
            if err.code:
                headers["X-Error-Code"] = err.code
            if err.commit:
                headers["X-Repo-Commit"] = err.commit
        self.send_response(status)
        headers.setdefault("Content-Length", str(len(content)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if body:
            self.wfile.write(content)

    def _route(self, method: str, parts: list[str]) -> tuple[int, dict[str, str], bytes]:
        if method in ("GET", "HEAD") and len(parts) >= 5 and parts[2] == "resolve":
            return self._resolve(f"{parts[0]}/{parts[1]}", parts[3], "/".join(parts[4:]))
        if parts[:2] == ["api", "models"] and len(parts) >= 4:
            repo_id, rest = f"{parts[2]}/{parts[3]}", parts[4:]
            if method == "GET" and rest[:1] in ([], ["revision"]):
                return self._info(repo_id, rest[1] if len(rest) > 1 else "main")
            if method == "GET" and rest[:1] == ["tree"] and len(rest) >= 2:
                return self._tree(repo_id, rest[1], "/".join(rest[2:]))
            if method == "POST" and len(rest) == 2 and rest[0] in ("preupload", "commit", "branch"):
                return getattr(self, f"_{rest[0]}")(repo_id, rest[1])
        if method == "POST" and parts == ["api", "repos", "create"]:
            return self._create()
        if method == "POST" and parts == ["api", "validate-yaml"]:
            return self._json({"errors": [], "warnings": []})
        raise _HubError(404, None, f"no route for {method} /{'/'.join(parts)}")

    # -- helpers -------------------------------------------------------------------------------
    def _json(self, data: Any, status: int = 200) -> tuple[int, dict[str, str], bytes]:
        return status, {"Content-Type": "application/json"}, json.dumps(data).encode()

    def _read_body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _repo(self, repo_id: str) -> Repo:
        repo = self.hub.repos.get(repo_id)
        if repo is None:
            raise _HubError(404, "RepoNotFound", "Repository not found")
        return repo

    def _commit_of(self, repo_id: str, revision: str) -> tuple[Repo, str]:
        repo = self._repo(repo_id)
        commit = repo.resolve(revision)
        if commit is None:
            raise _HubError(404, "RevisionNotFound", f"Invalid rev id: {unquote(revision)}")
        return repo, commit

    # -- download ------------------------------------------------------------------------------
    def _resolve(self, repo_id: str, revision: str, filename: str) -> tuple[int, dict[str, str], bytes]:
        repo, commit = self._commit_of(repo_id, revision)
        content = repo.commits[commit].get(unquote(filename))
        if content is None:
            raise _HubError(404, "EntryNotFound", "Entry not found", commit=commit)
        return 200, {"Content-Type": "application/octet-stream", "X-Repo-Commit": commit,
                     "ETag": f'"{_blob_id(content)}"', "Accept-Ranges": "none"}, content

    def _info(self, repo_id: str, revision: str) -> tuple[int, dict[str, str], bytes]:
        repo, commit = self._commit_of(repo_id, revision)
        siblings = [{"rfilename": name} for name in sorted(repo.commits[commit])]
        return self._json({"id": repo_id, "modelId": repo_id, "sha": commit, "private": False,
                           "tags": [], "siblings": siblings})

    def _tree(self, repo_id: str, revision: str, folder: str) -> tuple[int, dict[str, str], bytes]:
        """The files under ``folder`` (listed recursively: a model folder has no subfolders anyway)."""
        repo, commit = self._commit_of(repo_id, revision)
        prefix = f"{unquote(folder).strip('/')}/" if folder else ""
        entries = [{"type": "file", "path": name, "size": len(content), "oid": _blob_id(content)}
                   for name, content in sorted(repo.commits[commit].items())
                   if name.startswith(prefix)]
        if prefix and not entries:
            raise _HubError(404, "EntryNotFound", f"{folder} does not exist on {revision}", commit=commit)
        return self._json(entries)

    # -- upload --------------------------------------------------------------------------------
    def _create(self) -> tuple[int, dict[str, str], bytes]:
        payload = json.loads(self._read_body())
        repo_id = f"{payload['organization']}/{payload['name']}" if payload.get("organization") else payload["name"]
        url = f"{self.hub.endpoint}/{repo_id}"
        with self.hub.lock:
            self.hub.created.append(payload)
            if repo_id in self.hub.repos:
                raise _HubError(409, None, "You already created this model repo", extra={"url": url})
            self.hub.repos[repo_id] = Repo()
            self.hub.repos[repo_id].commit("main", {".gitattributes": b"*.safetensors filter=lfs\n"})
        return self._json({"url": url, "name": repo_id, "id": repo_id})

    def _preupload(self, repo_id: str, revision: str) -> tuple[int, dict[str, str], bytes]:
        self._commit_of(repo_id, revision)
        files = json.loads(self._read_body())["files"]
        return self._json({"files": [{"path": f["path"], "uploadMode": "regular", "shouldIgnore": False}
                                     for f in files]})

    def _branch(self, repo_id: str, branch: str) -> tuple[int, dict[str, str], bytes]:
        payload = json.loads(self._read_body() or b"{}")
        repo, start = self._commit_of(repo_id, payload.get("startingPoint", "main"))
        with self.hub.lock:
            if unquote(branch) in repo.branches:
                raise _HubError(409, None, "Reference already exists")
            repo.branches[unquote(branch)] = start
        return self._json({})

    def _commit(self, repo_id: str, revision: str) -> tuple[int, dict[str, str], bytes]:
        repo, _ = self._commit_of(repo_id, revision)
        files: dict[str, bytes] = {}
        deleted: list[str] = []
        for line in self._read_body().splitlines():
            item = json.loads(line)
            if item["key"] == "file":
                files[item["value"]["path"]] = base64.b64decode(item["value"]["content"])
            elif item["key"] in ("deletedFile", "deletedFolder"):
                deleted.append(item["value"]["path"])
            elif item["key"] != "header":
                raise _HubError(400, None, f"unsupported commit operation {item['key']}")
        with self.hub.lock:
            oid = repo.commit(unquote(revision), files, tuple(deleted))
        return self._json({"commitOid": oid, "commitUrl": f"{self.hub.endpoint}/{repo_id}/commit/{oid}",
                           "success": True})


# -- the client, run in a subprocess -----------------------------------------------------------
_CLIENT = r'''
"""Runs each step of argv[1] (a JSON list) and prints one JSON list of results."""
import json, sys, time
from arabic_ie.model.hub import ModelLoadError, push_model
from arabic_ie.model.tagger import JointTagger

def run(step):
    started = time.monotonic()
    try:
        if step["op"] == "push_tagger":
            tagger = JointTagger.from_pretrained(step["folder"], device="cpu")
            out = {"url": tagger.push_to_hub(step["repo_id"], token="hf_local_test")}
        elif step["op"] == "push_model":
            tagger = JointTagger.from_pretrained(step["folder"], device="cpu")
            out = {"url": tagger.model.push_to_hub(step["repo_id"], tokenizer=tagger.tokenizer, token="hf_local_test")}
        elif step["op"] == "push":
            out = {"url": push_model(step["folder"], step["repo_id"], private=step.get("private", False),
                                     revision=step.get("revision"), commit_message="test push",
                                     token=step.get("token", "hf_local_test"))}
        elif step["op"] == "cli":
            import contextlib
            import io

            from arabic_ie.cli import main
            err = io.StringIO()
            with contextlib.redirect_stderr(err):
                code = main(step["argv"])
            out = {"code": code, "stderr": err.getvalue()}
        else:
            tagger = JointTagger.from_pretrained(step["model"], revision=step.get("revision"), device="cpu")
            out = {"predictions": [r.to_dict() for r in tagger.predict(step["texts"])]}
        out["ok"] = True
    except ModelLoadError as err:
        out = {"ok": False, "error": "ModelLoadError", "message": str(err)}
    except Exception as err:
        out = {"ok": False, "error": type(err).__name__, "message": str(err)}
    out["seconds"] = time.monotonic() - started
    return out

print(json.dumps([run(step) for step in json.loads(sys.argv[1])]))
'''


def run_client(steps: list[dict[str, Any]], endpoint: str, hf_home: Path, offline: bool) -> list[dict[str, Any]]:
    """Run the steps in a fresh interpreter that talks to ``endpoint`` (or is offline)."""
    env = {**os.environ, "HF_ENDPOINT": endpoint, "HF_HOME": str(hf_home),
           "HF_HUB_OFFLINE": "1" if offline else "0", "TRANSFORMERS_OFFLINE": "1" if offline else "0",
           "HF_HUB_DISABLE_TELEMETRY": "1", "HF_HUB_DISABLE_XET": "1", "HF_HUB_ETAG_TIMEOUT": "5",
           "HF_HUB_DOWNLOAD_TIMEOUT": "5", "HF_TOKEN": "", "NO_PROXY": "127.0.0.1", "no_proxy": "127.0.0.1"}
    for name in ("HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE", "TRANSFORMERS_CACHE", "HTTP_PROXY", "HTTPS_PROXY",
                 "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
        env.pop(name, None)
    done = subprocess.run([sys.executable, "-c", _CLIENT, json.dumps(steps)], env=env, capture_output=True,
                          text=True, timeout=SUBPROCESS_TIMEOUT)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


# -- one online run, then offline and hub-down runs against the same cache ---------------------
@dataclass
class HubRun:
    hub: LocalHub
    commit: str  # org/tiny's main commit
    cache: Path  # HF_HOME
    online: dict[str, dict[str, Any]]
    down: dict[str, dict[str, Any]]  # online mode, but the server is gone
    offline: dict[str, dict[str, Any]]  # HF_HUB_OFFLINE=1


def _predict(model: str, revision: str | None = None) -> dict[str, Any]:
    return {"op": "predict", "model": model, "revision": revision, "texts": TEXTS}


def _push(folder: Path, repo_id: str, **kwargs: Any) -> dict[str, Any]:
    return {"op": "push", "folder": str(folder), "repo_id": repo_id, **kwargs}


def _cli(argv: list[str]) -> dict[str, Any]:
    return {"op": "cli", "argv": argv}


def _with_onnx(folder: Path, target: Path) -> Path:
    """A copy of the model folder with an onnx/ graph, as `arabic-ie export` leaves one."""
    _copy_with_junk(folder, target)
    (target / "onnx").mkdir()
    (target / "onnx" / "model.onnx").write_bytes(b"an old graph")
    return target


def _run_named(steps: dict[str, dict[str, Any]], *args: Any, **kwargs: Any) -> dict[str, dict[str, Any]]:
    return dict(zip(steps, run_client(list(steps.values()), *args, **kwargs)))


def _copy_with_junk(folder: Path, target: Path, card: bool = True) -> Path:
    """A copy of the model folder plus hidden and temporary files that must not be pushed."""
    target.mkdir()
    for path in folder.iterdir():
        if path.is_file() and (card or path.name != "README.md"):
            (target / path.name).write_bytes(path.read_bytes())
    (target / ".cache").mkdir()
    (target / ".cache" / "state.json").write_text("{}")
    (target / ".DS_Store").write_text("x")
    (target / "model.safetensors.tmp").write_text("partial")
    return target


@pytest.fixture(scope="module")
def hub_run(tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubRun]:
    tmp = tmp_path_factory.mktemp("hub")
    hub = LocalHub()
    commit = hub.add_folder("org/tiny", tiny_model_dir)
    hub.start()
    try:
        online = _run_named({
            "folder": _predict(str(tiny_model_dir)),
            "hub": _predict("org/tiny"),
            "pinned": _predict("org/tiny", revision=commit),
            "missing_repo": _predict("org/missing"),
            "missing_revision": _predict("org/tiny", revision="no-such-branch"),
            "push": _push(_copy_with_junk(tiny_model_dir, tmp / "to-push"), "org/pushed", private=True),
            "push_branch": _push(tiny_model_dir, "org/pushed", revision="v1"),
            "push_no_card": _push(_copy_with_junk(tiny_model_dir, tmp / "no-card", card=False), "org/no-card"),
            "push_tagger": {"op": "push_tagger", "folder": str(tiny_model_dir), "repo_id": "org/from-tagger"},
            "push_model": {"op": "push_model", "folder": str(tiny_model_dir), "repo_id": "org/from-model"},
            "pulled_tagger": _predict("org/from-tagger"),
            "pulled_model": _predict("org/from-model"),
            "pulled": _predict("org/pushed"),
            "pulled_branch": _predict("org/pushed", revision="v1"),
            "push_refused": _cli(["push", "--model", str(tiny_model_dir), "--repo-id", "org/refused", "--token", REFUSED_TOKEN]),
            "push_onnx": _push(_with_onnx(tiny_model_dir, tmp / "with-onnx"), "org/onnx"),
            "push_retrained": _push(tiny_model_dir, "org/onnx"),
        }, hub.endpoint, tmp / "hf-home", offline=False)
    finally:
        hub.stop()
    down = _run_named({"cached": _predict("org/tiny"), "uncached": _predict("org/missing"),
                       "push": _cli(["push", "--model", str(tiny_model_dir), "--repo-id", "org/down"])},
                      hub.endpoint, tmp / "hf-home", offline=False)
    offline = _run_named({"cached": _predict("org/tiny"), "pinned": _predict("org/tiny", revision=commit),
                          "uncached": _predict("org/never")}, hub.endpoint, tmp / "hf-home", offline=True)
    yield HubRun(hub, commit, tmp / "hf-home", online, down, offline)


def _ok(result: dict[str, Any]) -> dict[str, Any]:
    assert result["ok"], result
    return result


# -- download ----------------------------------------------------------------------------------
def test_download_gives_the_same_predictions_as_the_folder(hub_run: HubRun) -> None:
    expected = _ok(hub_run.online["folder"])["predictions"]
    assert len(expected) == len(TEXTS) and any(record["entities"] for record in expected)  # a real comparison
    assert _ok(hub_run.online["hub"])["predictions"] == expected
    assert _ok(hub_run.online["pinned"])["predictions"] == expected
    assert f"GET /org/tiny/resolve/{hub_run.commit}/model.safetensors" in hub_run.hub.requests


def test_download_is_cached(hub_run: HubRun) -> None:
    snapshot = hub_run.cache / "hub" / "models--org--tiny" / "snapshots" / hub_run.commit
    for name in ("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"):
        assert (snapshot / name).is_file(), name
    assert (hub_run.cache / "hub" / "models--org--tiny" / "refs" / "main").read_text().strip() == hub_run.commit


def test_offline_loads_from_the_cache(hub_run: HubRun) -> None:
    expected = hub_run.online["folder"]["predictions"]
    assert _ok(hub_run.offline["cached"])["predictions"] == expected
    assert _ok(hub_run.offline["pinned"])["predictions"] == expected


def test_hub_unreachable_falls_back_to_the_cache(hub_run: HubRun) -> None:
    assert _ok(hub_run.down["cached"])["predictions"] == hub_run.online["folder"]["predictions"]
    uncached = hub_run.down["uncached"]
    assert uncached["error"] == "ModelLoadError"
    assert "'org/missing'" in uncached["message"] and "cannot be reached" in uncached["message"]
    assert uncached["seconds"] < 15


@pytest.mark.parametrize("case, words", [
    ("missing_repo", ["'org/missing'", "no such repo"]),
    ("missing_revision", ["'org/tiny'", "'no-such-branch'", "revision does not exist"]),
])
def test_unknown_repo_or_revision_fails_fast_and_clearly(hub_run: HubRun, case: str, words: list[str]) -> None:
    result = hub_run.online[case]
    assert result["error"] == "ModelLoadError", result
    for word in words:
        assert word in result["message"]
    assert result["seconds"] < 5, "no retry loop on a 404"


def test_offline_without_a_cached_copy(hub_run: HubRun) -> None:
    result = hub_run.offline["uncached"]
    assert result["error"] == "ModelLoadError"
    assert "'org/never'" in result["message"] and "offline" in result["message"]
    assert result["seconds"] < 5


def test_load_error_for_a_missing_folder_or_one_that_is_not_a_model(tmp_path: Path) -> None:
    from arabic_ie.model.tagger import JointTagger

    with pytest.raises(ModelLoadError, match="no such folder"):
        JointTagger.from_pretrained(tmp_path / "nothing-here")
    with pytest.raises(ModelLoadError, match=r"^model '[^']+': not an arabic-ie model folder; missing: config\.json"):
        JointTagger.from_pretrained(tmp_path)


# -- push --------------------------------------------------------------------------------------
def test_push_then_download_round_trip(hub_run: HubRun) -> None:
    assert _ok(hub_run.online["push"])["url"] == f"{hub_run.hub.endpoint}/org/pushed"
    expected = hub_run.online["folder"]["predictions"]
    assert _ok(hub_run.online["pulled"])["predictions"] == expected
    assert _ok(hub_run.online["pulled_branch"])["predictions"] == expected
    assert {"name": "pushed", "organization": "org", "visibility": "private"}.items() <= hub_run.hub.created[0].items()


def test_push_uploads_the_model_files_and_skips_hidden_and_temporary_ones(hub_run: HubRun, tiny_model_dir: Path) -> None:
    repo = hub_run.hub.repos["org/pushed"]
    files = repo.commits[repo.branches["main"]]
    expected = {p.name for p in tiny_model_dir.iterdir() if p.is_file()}
    assert set(files) - {".gitattributes"} == expected
    assert files["model.safetensors"] == (tiny_model_dir / "model.safetensors").read_bytes()
    assert set(repo.branches) == {"main", "v1"}


def test_pushed_card_points_at_the_repo(hub_run: HubRun, tiny_model_dir: Path) -> None:
    repo = hub_run.hub.repos["org/pushed"]
    card = repo.commits[repo.branches["main"]]["README.md"].decode()
    assert 'JointTagger.from_pretrained("org/pushed")' in card
    assert "ORG/NAME" not in card
    assert card.replace("org/pushed", "ORG/NAME") == (tiny_model_dir / "README.md").read_text(encoding="utf-8")


def test_push_renders_a_missing_card(hub_run: HubRun) -> None:
    from huggingface_hub import ModelCard

    _ok(hub_run.online["push_no_card"])
    repo = hub_run.hub.repos["org/no-card"]
    card = ModelCard(repo.commits[repo.branches["main"]]["README.md"].decode())
    assert card.data.language == "ar" and card.data.pipeline_tag == "token-classification"
    assert 'from_pretrained("org/no-card")' in card.text


@pytest.mark.parametrize("remove, message", [
    ("model.safetensors", "model.safetensors"),
    ("config.json", "config.json"),
    ("tokenizer.json", "tokenizer.json or vocab.txt"),
    ("tokenizer_config.json", "tokenizer_config.json"),
])
def test_push_refuses_an_incomplete_folder(tiny_model_dir: Path, tmp_path: Path, remove: str, message: str) -> None:
    folder = _copy_with_junk(tiny_model_dir, tmp_path / "model")
    (folder / remove).unlink()
    with pytest.raises(ValueError, match="missing: .*" + message.replace(".", r"\.")):
        push_model(folder, "org/name")


def test_push_refuses_another_kind_of_model(tiny_model_dir: Path, tmp_path: Path) -> None:
    folder = _copy_with_junk(tiny_model_dir, tmp_path / "model")
    config = json.loads((folder / "config.json").read_text())
    (folder / "config.json").write_text(json.dumps({**config, "model_type": "bert"}))
    with pytest.raises(ValueError, match="model_type 'arabic-ie' \\(found 'bert'\\)"):
        push_model(folder, "org/name")
    with pytest.raises(ValueError, match="does not exist"):
        push_model(tmp_path / "absent", "org/name")



def test_a_hub_that_never_answers_is_given_up_on_with_advice(tmp_path: Path) -> None:
    """The server accepts connections and never answers: the load ends in bounded time."""
    import socket

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])  # and never answer
            except OSError:
                continue

    threading.Thread(target=accept, daemon=True).start()
    try:
        os.environ["ARABIC_IE_HUB_TIMEOUT"] = "2"
        endpoint = f"http://127.0.0.1:{server.getsockname()[1]}"
        [result] = run_client([_predict("org/silent")], endpoint, tmp_path / "hf-home", offline=False)
    finally:
        os.environ.pop("ARABIC_IE_HUB_TIMEOUT", None)
        stop.set()
        for connection in held:
            connection.close()
        server.close()
    assert result["error"] == "ModelLoadError", result
    assert "did not answer within 2 s" in result["message"] and "HF_HUB_OFFLINE=1" in result["message"]
    assert result["seconds"] < 30


def test_tagger_and_model_push_to_hub_upload_what_save_pretrained_writes(hub_run: HubRun, tiny_model_dir: Path) -> None:
    """transformers' push_to_hub uploaded a generic card and no tokenizer; ours loads back."""
    expected = hub_run.online["folder"]["predictions"]
    for name, repo_id in (("tagger", "org/from-tagger"), ("model", "org/from-model")):
        assert _ok(hub_run.online[f"push_{name}"])["url"] == f"{hub_run.hub.endpoint}/{repo_id}"
        assert _ok(hub_run.online[f"pulled_{name}"])["predictions"] == expected
        repo = hub_run.hub.repos[repo_id]
        files = repo.commits[repo.branches["main"]]
        assert {"config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "README.md"} <= set(files)
        card = files["README.md"].decode()
        assert f'JointTagger.from_pretrained("{repo_id}")' in card and "library_name: arabic-ie" in card


# -- first contact: errors of a push, dry run, stale graphs ------------------------------------
def test_a_refused_token_is_one_line_saying_how_to_log_in(hub_run: HubRun) -> None:
    result = _ok(hub_run.online["push_refused"])
    assert result["code"] == 2
    [line] = result["stderr"].strip().splitlines()
    assert "refused the token for org/refused (HTTP 401)" in line and "hf auth login" in line and "HF_TOKEN" in line


def test_an_unreachable_hub_is_one_line(hub_run: HubRun) -> None:
    result = _ok(hub_run.down["push"])
    assert result["code"] == 2
    [line] = result["stderr"].strip().splitlines()
    assert "cannot reach the Hugging Face hub at http://127.0.0.1" in line and "push again" in line


def test_pushing_a_retrained_model_removes_the_old_graph(hub_run: HubRun) -> None:
    _ok(hub_run.online["push_onnx"])
    _ok(hub_run.online["push_retrained"])
    repo = hub_run.hub.repos["org/onnx"]
    files = repo.commits[repo.branches["main"]]
    assert "config.json" in files and not any(p.startswith("onnx/") for p in files)


def test_dry_run_lists_the_files_and_sends_nothing(tiny_model_dir: Path, capsys: pytest.CaptureFixture) -> None:
    from arabic_ie.cli import main

    assert main(["push", "--model", str(tiny_model_dir), "--repo-id", "org/x", "--dry-run"]) == 0
    out = capsys.readouterr()
    listed = out.out.split()
    assert {"config.json", "model.safetensors", "tokenizer.json", "README.md"} <= set(listed)
    assert "dry run: nothing sent" in out.err
