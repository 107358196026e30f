#!/usr/bin/env bash
# Label Studio in a venv of its own (.venv-labelstudio), so its many pins never touch the
# package's dependencies. The Label Studio integration test starts a server from it; the package
# itself only writes and reads Label Studio's formats and needs nothing from here.
#   LABEL_STUDIO_SPEC overrides the requirement (default: the 1.x line).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv-labelstudio/bin/label-studio ]; then
    python3 -m venv .venv-labelstudio
    .venv-labelstudio/bin/python -m pip install --quiet --upgrade pip
    .venv-labelstudio/bin/python -m pip install --quiet "${LABEL_STUDIO_SPEC:-label-studio>=1.13,<2}"
fi
.venv-labelstudio/bin/python -c "import label_studio; print('label-studio', label_studio.__version__)"
