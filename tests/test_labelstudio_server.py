"""A real Label Studio server (from .venv-labelstudio, made by scripts/setup_labelstudio.sh):
a project with our labeling config, pre-annotated tasks imported, each accepted as an annotator
would, exported, and read back into the very records that went in."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from arabic_ie import cli
from arabic_ie.data.formats import read_corpus
from arabic_ie.data.labelstudio import labeling_config, record_to_task
from arabic_ie.data.records import Record, Span
from arabic_ie.data.schema import LabelSchema

from conftest import REPO, free_port
from test_labelstudio import EMOJI

pytestmark = pytest.mark.service  # a Label Studio server

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


def readme_loop_lines() -> dict[str, str]:
    """The README's annotate-train loop, command by command (comments cut), keyed by subcommand."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    block = text[text.index("## The annotate-train loop"):]
    block = block[block.index("```bash") + 7: block.index("```", block.index("```bash") + 7)]
    lines = [line.split("  #")[0].strip() for line in block.splitlines()]
    return {line.split()[1]: line for line in lines if line.startswith("arabic-ie ")} | {
        "start": next(line for line in lines if "label-studio start" in line)}


def test_the_readme_annotate_train_loop_against_the_server(server, tiny_model_dir, tmp_path, sample_records,
                                                         monkeypatch):
    """Issue 24: the loop as the README gives it, on a real server started with the README's
    flags: config, select, import, accept, export, validate, train on the export."""
    import shlex

    steps = readme_loop_lines()
    assert "--enable-legacy-api-token" in steps["start"]

    def run(name: str, replace: dict[str, str], extra: list[str] = (), cwd: Path = tmp_path) -> None:
        """One README line, through the command line's own entry point, in the folder a user is in."""
        words = shlex.split(steps[name])
        words = [replace.get(w, w) for w in words][1:] + list(extra)
        monkeypatch.chdir(cwd)
        assert cli.main(words) == 0, name

    model = str(tiny_model_dir)
    pool = tmp_path / "pool.txt"
    pool.write_text("\n".join(r.text for r in sample_records["dev"][:30]) + "\n", encoding="utf-8")
    run("labelstudio-config", {"runs/v1/model": model})
    run("select", {"runs/v1/model": model, "200": "6"})
    batch = json.loads((tmp_path / "batch-01.json").read_text(encoding="utf-8"))
    assert len(batch) == 6

    project = server.call("POST", "/api/projects/", {"title": "README loop",
                                                     "label_config": (tmp_path / "config.xml").read_text()})
    assert server.call("POST", f"/api/projects/{project['id']}/import", batch)["task_count"] == 6
    for task in server.call("GET", f"/api/projects/{project['id']}/export?exportType=JSON&download_all_tasks=true"):
        prediction = server.call("GET", f"/api/predictions/?task={task['id']}")[0]
        server.call("POST", f"/api/tasks/{task['id']}/annotations/", {"result": prediction["result"]})
    export = server.call("GET", f"/api/projects/{project['id']}/export?exportType=JSON")
    (tmp_path / "export-01.json").write_text(json.dumps(export, ensure_ascii=False), encoding="utf-8")

    run("validate", {})
    # from the repository's root, as the README's recipes name data/...; a few steps are enough here
    run("train", {"export-01.json": str(tmp_path / "export-01.json"), "runs/v2": str(tmp_path / "runs" / "v2")},
        ["max_steps=2"], cwd=REPO)
    assert (tmp_path / "runs" / "v2" / "model" / "config.json").is_file()
