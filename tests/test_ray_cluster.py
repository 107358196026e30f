"""The README's Ray recipe, run as a user copies it: a token created once, a head started with
token authentication, `arabic-ie predict --engine ray --ray-address auto` joining it with relative
paths; and a driver without the token told in one line what to set (issue 24)."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO, free_port
from test_ray_predict import require_ray

pytestmark = pytest.mark.service  # a Ray head started by the test

SENTENCES = ["التقى وزير الخارجية المصري نظيره الأردني في عمّان يوم الثلاثاء.",
             "أعلنت وزارة الداخلية اعتقال ثلاثة مشتبه بهم في القاهرة."]


def readme_lines(*starts: str) -> list[str]:
    """The README's command lines that begin with each of ``starts`` (comments cut): the test runs
    these, so the recipe cannot drift from what is tested."""
    lines = [line.split("  #")[0].strip() for line in (REPO / "README.md").read_text(encoding="utf-8").splitlines()]
    found = []
    for start in starts:
        matches = [line for line in lines if line.startswith(start)]
        assert matches, f"the README has no command starting with {start!r}"
        found.append(matches[0])
    return found


def shell(command: str, env: dict[str, str], cwd: Path, timeout: int = 300) -> subprocess.CompletedProcess:
    bin_dir = str(Path(sys.executable).parent)  # ray and arabic-ie of this venv, as an activated venv has them
    env = {**env, "PATH": bin_dir + os.pathsep + env.get("PATH", "")}
    return subprocess.run(["bash", "-c", command], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def cluster_home(tmp_path):
    """A HOME of its own (the token goes to ~/.ray/auth_token) and the README's head, stopped after."""
    require_ray()
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAY_")}
    env.update(HOME=str(home), OMP_NUM_THREADS="1", HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    yield env
    shell("ray stop --force", {**env, "RAY_AUTH_MODE": "token"}, tmp_path, timeout=120)


def test_the_readme_ray_recipe_with_token_authentication(cluster_home, tiny_model_dir, tmp_path, monkeypatch):
    export, generate, head, predict = readme_lines("export RAY_AUTH_MODE=", "ray get-auth-token", "ray start --head",
                                                   "arabic-ie predict --engine ray")
    head = re.sub(r"--port \d+", f"--port {free_port()}", head)
    work = tmp_path / "work"
    (work / "shards").mkdir(parents=True)
    (work / "shards" / "news.txt").write_text("\n".join(SENTENCES) + "\n", encoding="utf-8")
    (work / "model").symlink_to(tiny_model_dir)
    started = shell(f"{export} && {generate} && {head}", cluster_home, work)
    assert started.returncode == 0, started.stderr[-2000:]
    assert (Path(cluster_home["HOME"]) / ".ray" / "auth_token").is_file()

    # the README's predict line, with this test's model and folders (relative paths, as users type them)
    command = predict.rstrip("\\").strip() + " --model model --input shards --output tagged --no-progress"
    command = re.sub(r"--model \S+ ", "", command, count=1)
    done = shell(f"{export} && {command}", cluster_home, work)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "2 records in 1 shard(s)" in done.stderr
    records = [json.loads(line) for line in (work / "tagged" / "news.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["text"] for r in records] == SENTENCES

    # no --ray-address and no RAY_ADDRESS: a local instance of its own, as --help says, though a
    # head runs on this machine (Ray joined that head unasked and refused the local CPU count)
    from arabic_ie.ray_predict import RayOptions, connect

    ray = require_ray()
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    connect(RayOptions(local_cpus=1, object_store_mb=96))
    try:
        assert ray.cluster_resources().get("CPU") == 1  # the head has all of this machine's CPUs
    finally:
        ray.shutdown()

    # a driver without the token: one line that names what to set, no traceback
    other_home = tmp_path / "other-home"
    other_home.mkdir()
    refused = shell(command.replace("--output tagged", "--output tagged-2"), {**cluster_home, "HOME": str(other_home)},
                    work, timeout=180)
    assert refused.returncode == 2
    # (Ray's own client logs its retries above it; our message is the one line that says what to do)
    error = [line for line in refused.stderr.splitlines() if line.startswith("arabic-ie predict --engine ray: error:")]
    assert len(error) == 1 and "RAY_AUTH_MODE=token" in error[0] and "auth_token" in error[0], refused.stderr[-2000:]
    assert "Traceback" not in refused.stderr
    assert not (work / "tagged-2" / "news.jsonl").exists()
