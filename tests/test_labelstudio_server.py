"""A real Label Studio server (from .venv-labelstudio, made by scripts/setup_labelstudio.sh):
a project with our labeling config, pre-annotated tasks imported, each accepted as an annotator
would, exported, and read back into the very records that went in."""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from arabic_ie.data.formats import read_corpus
from arabic_ie.data.labelstudio import labeling_config, record_to_task
from arabic_ie.data.records import Record, Span
from arabic_ie.data.schema import LabelSchema

from conftest import REPO
from test_labelstudio import EMOJI

TOKEN = "arabic-ie-test-token-0123456789"
START_TIMEOUT = 150


def label_studio_bin() -> str:
    """The server's executable, or skip (fail under CI, which installs it)."""
    found = os.environ.get("LABEL_STUDIO_BIN") or shutil.which("label-studio", path=str(REPO / ".venv-labelstudio" / "bin"))
    if found:
        return found
    reason = "Label Studio is not installed: run scripts/setup_labelstudio.sh (scripts/setup.sh --test does)"
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Client:
    """The few REST calls the test needs, with the legacy token the server was started with."""

    def __init__(self, base: str):
        self.base = base

    def call(self, method: str, path: str, body=None):
        request = urllib.request.Request(self.base + path, method=method,
                                         data=None if body is None else json.dumps(body).encode(),
                                         headers={"Authorization": f"Token {TOKEN}",
                                                  "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as err:
            raise AssertionError(f"{method} {path}: {err.code} {err.read()[:500]!r}") from None


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    binary = label_studio_bin()
    port, data = free_port(), tmp_path_factory.mktemp("label-studio")
    env = {**os.environ, "LABEL_STUDIO_BASE_DATA_DIR": str(data), "HOME": str(data)}
    log = open(data / "server.log", "wb")
    started = time.monotonic()
    process = subprocess.Popen([binary, "start", "--no-browser", "--data-dir", str(data / "db"),
                                "--internal-host", "127.0.0.1", "--port", str(port),
                                "--username", "annotator@example.org", "--password", "arabic-ie-test",
                                "--user-token", TOKEN, "--enable-legacy-api-token"],
                               stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        while True:
            if process.poll() is not None:
                pytest.fail(f"Label Studio exited with {process.returncode}: "
                            + (data / "server.log").read_text(errors="replace")[-2000:])
            try:
                with urllib.request.urlopen(base + "/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() - started > START_TIMEOUT:
                pytest.fail(f"Label Studio did not answer within {START_TIMEOUT} s")
            time.sleep(0.5)
        print(f"\nLabel Studio started in {time.monotonic() - started:.1f} s", file=sys.stderr)
        yield Client(base)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def test_tasks_go_through_label_studio_and_come_back_unchanged(server, sample_records, tmp_path):
    # sample sentences, one with an emoji and arguments that are no entity, one without an event layer
    records = sample_records["test"][:12] + [EMOJI, Record("ner-only", "زار بوتين القاهرة.", [Span(4, 9, "PER")], None)]
    schema = LabelSchema.from_records(sample_records["train"] + records)
    project = server.call("POST", "/api/projects/", {"title": "arabic-ie round trip",
                                                     "label_config": labeling_config(schema)})
    assert project["parsed_label_config"]["trigger"]["labels"] == schema.event_types

    tasks = [record_to_task(r, "predictions", model_version="test-model") for r in records]
    imported = server.call("POST", f"/api/projects/{project['id']}/import", tasks)
    assert imported["task_count"] == len(records) and imported["prediction_count"] == len(records)

    # the annotator accepts each pre-annotation as it is (what the editor submits for an untouched task)
    listed = server.call("GET", f"/api/projects/{project['id']}/export?exportType=JSON&download_all_tasks=true")
    for task in listed:
        prediction = server.call("GET", f"/api/predictions/?task={task['id']}")[0]
        assert prediction["model_version"] == "test-model"
        server.call("POST", f"/api/tasks/{task['id']}/annotations/", {"result": prediction["result"]})

    export = server.call("GET", f"/api/projects/{project['id']}/export?exportType=JSON")
    path = tmp_path / "export.json"
    path.write_text(json.dumps(export, ensure_ascii=False), encoding="utf-8")
    back = sorted(read_corpus(path), key=lambda r: [r.id for r in records].index(r.id))
    assert [r.to_dict() for r in back] == [r.to_dict() for r in records]
