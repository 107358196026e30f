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
    # sentry-sdk 3 dropped an option label-studio 1.23 passes at start-up (the server exits with
    # "Unknown option 'send_default_pii'"): keep it on the 2.x line
    .venv-labelstudio/bin/python -m pip install --quiet "${LABEL_STUDIO_SPEC:-label-studio>=1.13,<2}" "sentry-sdk<3"
fi
.venv-labelstudio/bin/python -c "import label_studio; print('label-studio', label_studio.__version__)"
