"""Saving a model folder (weights, tokenizer, filled model card) and loading one from a local
folder or the Hugging Face hub, with errors that say what went wrong."""
from __future__ import annotations

import json
import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from transformers import AutoTokenizer

from arabic_ie.data.errors import first_line
from arabic_ie.data.fileio import install_folder
from arabic_ie.data.word_clusters import WORD_CLUSTERS_FILE

from .card import render_model_card
from .modeling import ArabicIEModel

METRICS_FILE = "metrics.json"


class ModelLoadError(OSError):
    """A model could not be found or loaded; the message names the repo/folder and revision."""


def save_model(model: ArabicIEModel, tokenizer: Any, path: str | Path,
               metrics: dict[str, Any] | None = None, training: dict[str, Any] | None = None,
               comparison: dict[str, dict[str, dict[str, Any]]] | None = None) -> Path:
    """Write the model folder atomically: everything goes to a temporary sibling folder that is
    renamed into place at the end, so a killed run never leaves a half-written folder that loads.
    ``metrics`` (evaluation results), ``training`` (data and settings) and ``comparison`` (scores
    per corpus beside the baselines) feed the model card."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    try:
        model.save_pretrained(tmp, safe_serialization=True)
        tokenizer.save_pretrained(tmp)
        if metrics is None and (path / METRICS_FILE).exists():
            metrics = json.loads((path / METRICS_FILE).read_text(encoding="utf-8"))
        if metrics is not None:
            (tmp / METRICS_FILE).write_text(json.dumps(metrics, indent=2, ensure_ascii=False), encoding="utf-8")
        (tmp / "README.md").write_text(render_model_card(model.config, metrics, training, comparison), encoding="utf-8")
        install_folder(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return path


def _root_cause(err: BaseException) -> BaseException:
    """The innermost huggingface_hub error behind ``err`` (transformers wraps them in OSError),
    or ``err`` itself."""
    from huggingface_hub.errors import EntryNotFoundError, HfHubHTTPError, OfflineModeIsEnabled

    seen: set[int] = set()
    current: BaseException | None = err
    while current is not None and id(current) not in seen:
        if isinstance(current, (HfHubHTTPError, EntryNotFoundError, OfflineModeIsEnabled)):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return err


def _load_error_message(err: BaseException, where: str) -> str:
    """Say which of repo, revision, file or connection went wrong, naming the repo/revision."""
    from huggingface_hub import constants
    from huggingface_hub.errors import (GatedRepoError, LocalEntryNotFoundError, OfflineModeIsEnabled,
                                        RemoteEntryNotFoundError, RepositoryNotFoundError, RevisionNotFoundError)

    cause = _root_cause(err)
    first_line = (str(err).strip().splitlines() or [err.__class__.__name__])[0]
    if isinstance(cause, RevisionNotFoundError) or "is not a valid git identifier" in first_line:
        return f"model {where}: the revision does not exist in that repo"
    if isinstance(cause, GatedRepoError):
        return f"model {where}: the repo is gated; accept its terms on the hub and log in (hf auth login)"
    if isinstance(cause, RepositoryNotFoundError) or "not a valid model identifier" in first_line:
        return (f"model {where}: no such local folder, and no such repo on the hub "
                "(or it is private: log in with hf auth login or pass token=)")
    if isinstance(cause, RemoteEntryNotFoundError):
        return f"model {where}: a file is missing from the repo ({first_line}); is it an arabic-ie model?"
    if isinstance(cause, (LocalEntryNotFoundError, OfflineModeIsEnabled)) or "snapshot folder" in first_line:
        if constants.is_offline_mode():
            reason = ("offline mode is on (HF_HUB_OFFLINE=1): download it once where the hub can be reached "
                      "(hf download REPO, then copy the cache), or pass a local model folder")
        elif _timed_out(err):
            reason = (f"the hub ({constants.ENDPOINT}) did not answer within {hub_timeout():g} s: set "
                      "HF_HUB_OFFLINE=1 to use only the cache, or pass a local model folder "
                      f"({HUB_TIMEOUT_ENV} sets the wait)")
        else:
            reason = (f"the hub ({constants.ENDPOINT}) cannot be reached: set HF_HUB_OFFLINE=1 to use only "
                      "the cache, or pass a local model folder")
        return f"model {where}: not in the local cache ({constants.HF_HUB_CACHE}) and {reason}"
    if "does not appear to have a file named" in first_line:
        return f"model {where}: not an arabic-ie model folder ({first_line})"
    return f"model {where}: {first_line}"


HUB_TIMEOUT_ENV = "ARABIC_IE_HUB_TIMEOUT"


def hub_timeout() -> float:
    """Seconds to wait for each answer of the hub (``ARABIC_IE_HUB_TIMEOUT``, default 30)."""
    try:
        return float(os.environ.get(HUB_TIMEOUT_ENV, "30"))
    except ValueError:
        return 30.0


def _timed_out(err: BaseException) -> bool:
    seen: set[int] = set()
    current: BaseException | None = err
    while current is not None and id(current) not in seen:
        if "Timeout" in type(current).__name__:
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


def bound_hub_waits() -> None:
    """Give huggingface_hub's shared HTTP client a timeout. Its default client has none, so a
    hub that accepts the connection and never answers hung ``predict`` for good (the first
    request, the repo lookup, ignores ``HF_HUB_ETAG_TIMEOUT``). A timeout makes the lookup fail
    like an unreachable hub: the cache is used, or the error says what to do. A client factory
    the user set is left alone."""
    from huggingface_hub.utils import _http, set_client_factory

    if getattr(_http, "_GLOBAL_CLIENT_FACTORY", None) is not getattr(_http, "default_client_factory", None):
        return
    default, seconds = _http.default_client_factory, hub_timeout()

    def bound(request: Any) -> None:  # huggingface_hub passes timeout=None per request: fill it in
        """httpx request hook: each timeout the request leaves unset becomes ``seconds``."""
        waits = request.extensions.get("timeout") or {}
        request.extensions["timeout"] = {kind: seconds if waits.get(kind) is None else waits[kind]
                                         for kind in ("connect", "read", "write", "pool")}

    def bounded_client():
        """The hub's default HTTP client, with ``bound`` added to its request hooks."""
        client = default()
        client.event_hooks["request"] = [*client.event_hooks["request"], bound]
        return client

    set_client_factory(bounded_client)


DOWNLOAD_KWARGS = ("cache_dir", "token", "local_files_only", "force_download")
DOWNLOAD_PATTERNS = ["*.json", "*.safetensors", "*.txt", "*.model", WORD_CLUSTERS_FILE]  # no README


def _local_folder(name_or_path: str, revision: str | None, hub_kwargs: dict[str, Any]) -> str:
    """The folder to load from: ``name_or_path`` itself, or the repo's cached snapshot (downloaded
    first when online). One snapshot download, instead of letting transformers look the repo up file
    by file, is quick to fail (no retry loop when the hub is unreachable: the cache is used) and
    gives the hub's own errors for an unknown repo or revision."""
    if Path(name_or_path).is_dir():
        return name_or_path
    from huggingface_hub import snapshot_download

    download = {key: hub_kwargs.pop(key) for key in DOWNLOAD_KWARGS if key in hub_kwargs}
    bound_hub_waits()
    return snapshot_download(name_or_path, revision=revision, allow_patterns=DOWNLOAD_PATTERNS, **download)


def looks_like_a_path(name: str) -> bool:
    """Whether a model name that does not exist was meant as a local folder, not a hub repo
    id: it starts with ``.``, ``/`` or ``~``, has more than one separator, or its parent folder
    exists (``outputs/modle`` when ``outputs/`` is there)."""
    if name.startswith((".", "/", "~")) or name.count("/") > 1 or "\\" in name:
        return True
    parent = Path(name).parent
    return str(parent) not in ("", ".") and parent.is_dir()


def _near_misses(name: str) -> str:
    """`` (did you mean ...?)`` naming folders beside it with a close name, when there are any."""
    import difflib

    path = Path(name).expanduser()
    parent = path.parent
    if not parent.is_dir():
        return f" (nor its parent folder {str(parent)!r})"
    siblings = [p.name for p in parent.iterdir() if p.is_dir()]
    close = difflib.get_close_matches(path.name, siblings, n=3)
    return f" (did you mean {', '.join(repr(str(parent / c)) for c in close)}?)" if close else ""


def weights_config_mismatch(info: dict[str, Any]) -> str | None:
    """What transformers' loading report says is wrong, or None: tensors the config's layers need
    and the file lacks, tensors in the file that no layer takes (a config with fewer layers, or
    ``crf``/``char_features`` switched off), tensors of another shape."""
    problems = []
    for key, what in (("missing_keys", "lacks {n} tensors the config needs"),
                      ("unexpected_keys", "holds {n} tensors the config has no layer for"),
                      ("mismatched_keys", "holds {n} tensors of another shape than the config's")):
        names = sorted(str(k[0] if isinstance(k, tuple) else k) for k in info.get(key) or ())
        if names:
            shown = ", ".join(names[:3]) + (", ..." if len(names) > 3 else "")
            problems.append(what.format(n=len(names)) + f" ({shown})")
    if not problems:
        return None
    return ("the weights file " + "; it ".join(problems) + ": config.json and model.safetensors come from "
            "different models (or another version of arabic-ie); use the pair written together, or retrain")


def load_model_and_tokenizer(name_or_path: str, revision: str | None = None,
                             **hub_kwargs: Any) -> tuple[ArabicIEModel, Any]:
    """Load from a local folder, or download (and cache) from the hub; offline mode, or a hub that
    cannot be reached, reads the cache. Every failure to find the model is a
    :class:`ModelLoadError` naming the repo and revision."""
    from huggingface_hub.errors import HFValidationError

    where = f"{name_or_path!r}" + (f" at revision {revision!r}" if revision else "")
    if not Path(name_or_path).exists() and looks_like_a_path(name_or_path):
        raise ModelLoadError(f"model {where}: no such folder{_near_misses(name_or_path)}")
    if not Path(name_or_path).exists() and "/" not in name_or_path:
        raise ModelLoadError(f"model {where}: no such folder, and not a hub repo id (ORG/NAME)")
    try:
        folder = _local_folder(name_or_path, revision, hub_kwargs)
        broken = broken_model_files(folder)
        if broken:
            raise ModelLoadError(f"model {where}: {'; '.join(broken)}")
        missing = check_model_folder(folder)
        if missing:
            raise ModelLoadError(f"model {where}: not an arabic-ie model folder; missing: {'; '.join(missing)}")
        try:
            model, info = ArabicIEModel.from_pretrained(folder, output_loading_info=True, **hub_kwargs)
        except RuntimeError as err:  # a tensor of another shape (hidden_size edited in config.json)
            raise ModelLoadError(f"model {where}: config.json does not describe the weights: "
                                 f"{first_line(err)}") from None
        problem = weights_config_mismatch(info)
        if problem:  # random or ignored weights would give silently different predictions
            raise ModelLoadError(f"model {where}: {problem}")
        tokenizer = AutoTokenizer.from_pretrained(folder, **hub_kwargs)
    except ModelLoadError:
        raise
    except (OSError, HFValidationError) as err:
        raise ModelLoadError(_load_error_message(err, where)) from None
    return model, tokenizer


# -- pushing to the hub ------------------------------------------------------------------------
REPO_ID_PLACEHOLDER = "ORG/NAME"  # what the card's how-to-load snippet says until the model is pushed
WEIGHT_FILES = ("model.safetensors", "model.safetensors.index.json")
TOKENIZER_VOCAB_FILES = ("tokenizer.json", "vocab.txt")
SKIPPED_SUFFIXES = (".tmp", ".lock", ".part", ".incomplete", "~")


def check_model_folder(model_dir: str | Path) -> list[str]:
    """What a folder lacks to be a complete arabic-ie model (empty when nothing is missing).
    The model card (README.md) is not checked: :func:`push_model` renders one when it is missing."""
    folder = Path(model_dir)
    if not folder.is_dir():
        return [f"the folder itself ({folder} does not exist or is not a folder)"]
    missing = []
    config_file = folder / "config.json"
    if not config_file.is_file():
        missing.append("config.json")
    else:
        try:
            model_type = json.loads(config_file.read_text(encoding="utf-8")).get("model_type")
        except (ValueError, AttributeError):
            model_type = None
        if model_type != ArabicIEModel.config_class.model_type:
            missing.append(f"config.json with model_type {ArabicIEModel.config_class.model_type!r} "
                           f"(found {model_type!r})")
    if not any((folder / name).is_file() for name in WEIGHT_FILES):
        missing.append(" or ".join(WEIGHT_FILES) + " (the weights)")
    if not (folder / "tokenizer_config.json").is_file():
        missing.append("tokenizer_config.json")
    if config_file.is_file() and _reads_word_clusters(config_file) and not (folder / WORD_CLUSTERS_FILE).is_file():
        missing.append(f"{WORD_CLUSTERS_FILE} (the word clusters the model reads)")
    if not any((folder / name).is_file() for name in TOKENIZER_VOCAB_FILES):
        missing.append(" or ".join(TOKENIZER_VOCAB_FILES) + " (the tokenizer vocabulary)")
    return missing


def _reads_word_clusters(config_file: Path) -> bool:
    try:
        config = json.loads(config_file.read_text(encoding="utf-8"))
        return bool(config.get("features", {}).get("cluster_levels"))
    except (ValueError, AttributeError):
        return False  # broken_model_files names a config that is not JSON


def broken_model_files(model_dir: str | Path) -> list[str]:
    """What is wrong with the config and weight files that are there (a truncated copy, an
    empty file, a config that is not JSON), each naming the file: transformers reports these as
    a SafetensorError, a C++ traceback or "model_type ... found None"."""
    folder = Path(model_dir)
    problems = []
    config_file = folder / "config.json"
    if config_file.is_file():
        try:
            config = json.loads(config_file.read_text(encoding="utf-8"))
            if not isinstance(config, dict):
                problems.append(f"{config_file} is not a JSON object")
        except UnicodeDecodeError:
            problems.append(f"{config_file} is not UTF-8 text (a broken file)")
        except ValueError as err:
            problems.append(f"{config_file} is not valid JSON ({getattr(err, 'msg', err)} at line "
                            f"{getattr(err, 'lineno', '?')} column {getattr(err, 'colno', '?')}): "
                            "a broken or truncated copy")
    weights = folder / "model.safetensors"
    if weights.is_file():
        problem = safetensors_problem(weights)
        if problem:
            problems.append(f"{weights} {problem}: copy or save the model again")
    return problems


def safetensors_problem(path: Path) -> str | None:
    """Why a ``.safetensors`` file cannot be whole (None when its header and size agree): the
    format is an 8-byte header length, a JSON header with each tensor's byte range, the data."""
    size = path.stat().st_size
    if size == 0:
        return "is empty"
    with open(path, "rb") as handle:
        head = handle.read(8)
        if len(head) < 8:
            return f"is truncated ({size} bytes)"
        length = int.from_bytes(head, "little")
        if length > 100_000_000 or 8 + length > size:
            return f"is truncated or not a safetensors file ({size} bytes; its header claims {length})"
        try:
            header = json.loads(handle.read(length))
        except ValueError:
            return "is not a safetensors file (its header is not JSON)"
    ends = [entry["data_offsets"][1] for key, entry in header.items()
            if key != "__metadata__" and isinstance(entry, dict) and "data_offsets" in entry]
    needed = 8 + length + max(ends, default=0)
    if size < needed:
        return f"is truncated ({size} of {needed} bytes)"
    return None


def _is_uploaded(path: Path, folder: Path) -> bool:
    """Skip hidden files and folders (``.cache``, ``.git``, temporary ``.name.xyz`` folders),
    caches and partial/temporary files."""
    parts = path.relative_to(folder).parts
    if any(part.startswith(".") or part == "__pycache__" for part in parts):
        return False
    return not path.name.endswith(SKIPPED_SUFFIXES)


def model_card_text(model_dir: str | Path, repo_id: str) -> str:
    """The folder's README.md (rendered from config.json and metrics.json when missing), with the
    how-to-load snippet pointing at ``repo_id``."""
    folder = Path(model_dir)
    card = folder / "README.md"
    if card.is_file():
        text = card.read_text(encoding="utf-8")
    else:
        config = ArabicIEModel.config_class.from_pretrained(folder)
        metrics_file = folder / METRICS_FILE
        metrics = json.loads(metrics_file.read_text(encoding="utf-8")) if metrics_file.is_file() else None
        text = render_model_card(config, metrics, {"repo_id": repo_id})
    return text.replace(REPO_ID_PLACEHOLDER, repo_id)


class HubPushError(ValueError):
    """A push the hub did not take: unreachable, or the token refused; the message says what to do."""


@contextmanager
def hub_errors(repo_id: str) -> Iterator[None]:
    """One line for the two failures a first push meets: no hub, and no (or a wrong) token."""
    from huggingface_hub.errors import HfHubHTTPError

    try:
        yield
    except HfHubHTTPError as err:
        status = getattr(getattr(err, "response", None), "status_code", None)
        if status in (401, 403):
            raise HubPushError(f"the hub refused the token for {repo_id} (HTTP {status}): log in with "
                               "`hf auth login`, set HF_TOKEN, or pass --token with a token that may write "
                               "to that namespace") from None
        raise HubPushError(f"the hub refused the push to {repo_id}: {first_line(err)}") from None
    except Exception as err:  # httpx / OSError under huggingface_hub: no answer at all
        if not (isinstance(err, OSError) or "Connect" in type(err).__name__ or _timed_out(err)):
            raise
        from huggingface_hub import constants

        raise HubPushError(f"cannot reach the Hugging Face hub at {constants.ENDPOINT} "
                           f"({type(err).__name__}): check the network or HF_ENDPOINT, then push again") from None


def push_files(folder: str | Path) -> list[str]:
    """The files :func:`push_model` uploads, as repo paths: the folder's files without hidden and
    temporary ones, and a card (``README.md``) rendered for the repo."""
    folder = Path(folder)
    missing = check_model_folder(folder)
    if missing:
        raise ValueError(f"{folder} is not a complete arabic-ie model folder; missing: {'; '.join(missing)}")
    files = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")
                   if p.is_file() and _is_uploaded(p, folder) and p.name != "README.md")
    return [*files, "README.md"]


def push_model(model_dir: str | Path, repo_id: str, private: bool = False, revision: str | None = None,
               commit_message: str = "Upload arabic-ie model", token: str | None = None) -> str:
    """Upload a saved model folder, with its model card, to the hub repo ``repo_id`` (created if
    needed; ``revision`` is a branch, created from main if needed) in one commit. Hidden and
    temporary files are left out; an ``onnx/`` folder already in the repo is replaced by the
    folder's own (or removed), so no graph of an older model outlives it. Returns the repo URL."""
    from huggingface_hub import CommitOperationAdd, CommitOperationDelete, HfApi

    folder = Path(model_dir)
    if repo_id.count("/") != 1 or repo_id.startswith((".", "/")):
        raise ValueError(f"repo id {repo_id!r} is not of the form ORG/NAME")
    files = push_files(folder)
    operations: list[Any] = [CommitOperationAdd(path, str(folder / path)) for path in files if path != "README.md"]
    operations.append(CommitOperationAdd("README.md", model_card_text(folder, repo_id).encode("utf-8")))
    api = HfApi(token=token)
    bound_hub_waits()
    with hub_errors(repo_id):
        url = api.create_repo(repo_id, private=private, exist_ok=True)
        if revision and revision != "main":
            api.create_branch(repo_id, branch=revision, exist_ok=True)
        stale = [p for p in api.list_repo_files(repo_id, revision=revision) if p.startswith("onnx/") and p not in files]
        operations = [CommitOperationDelete(p) for p in stale] + operations
        api.create_commit(repo_id, operations, commit_message=commit_message, revision=revision)
    return str(url)


def push_saved(model: ArabicIEModel, tokenizer: Any, repo_id: str, private: bool = False,
               revision: str | None = None, commit_message: str = "Upload arabic-ie model",
               token: str | None = None) -> str:
    """Upload exactly the folder :func:`save_model` writes (weights, config, tokenizer, the card
    pointing at ``repo_id``, saved metrics) with ``upload_folder``. transformers' own
    ``push_to_hub`` replaced the card with a generic one and left the tokenizer out, so
    ``JointTagger.from_pretrained`` failed on the result. Returns the repo URL."""
    from huggingface_hub import HfApi

    if repo_id.count("/") != 1 or repo_id.startswith((".", "/")):
        raise ValueError(f"repo id {repo_id!r} is not of the form ORG/NAME")
    with tempfile.TemporaryDirectory(prefix="arabic-ie-push-") as tmp:
        folder = save_model(model, tokenizer, Path(tmp) / "model", training={"repo_id": repo_id})
        card = folder / "README.md"
        card.write_text(card.read_text(encoding="utf-8").replace(REPO_ID_PLACEHOLDER, repo_id), encoding="utf-8")
        api = HfApi(token=token)
        bound_hub_waits()
        with hub_errors(repo_id):
            url = api.create_repo(repo_id, private=private, exist_ok=True)
            if revision and revision != "main":
                api.create_branch(repo_id, branch=revision, exist_ok=True)
            api.upload_folder(repo_id=repo_id, folder_path=folder, revision=revision, commit_message=commit_message,
                              ignore_patterns=[".*", "*.tmp", "*.lock"])
    return str(url)
