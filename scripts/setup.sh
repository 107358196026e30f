#!/usr/bin/env bash
# Set up .venv for arabic-ie: torch first, pinned (a CPU wheel where one is on disk; never an
# unpinned torch, which would pull a multi-GB CUDA build), then the package itself.
#   scripts/setup.sh          the package
#   scripts/setup.sh --test   the package, its test tools and extras (ray, onnx, crf), with the real parts the integration
#                             tests drive: Label Studio (its own venv) and headless Chromium
# TORCH_SPEC overrides the torch requirement (e.g. TORCH_SPEC="torch==2.13.0" is the default).
set -euo pipefail
cd "$(dirname "$0")/.."
labelstudio=""
if [ "${1:-}" = "--test" ]; then
    ./scripts/setup_labelstudio.sh &  # a venv of its own: installed while the package's is (half the wait)
    labelstudio=$!
fi
python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet "${TORCH_SPEC:-torch==2.13.0}"
extra="[crf,pretrain]"  # the CRF baseline the demo prints beside the model; gensim for `arabic-ie pretrain`
[ "${1:-}" = "--test" ] && extra="[test,ray,onnx]"
.venv/bin/python -m pip install --quiet -e ".${extra}"
if [ -n "$labelstudio" ]; then
    wait "$labelstudio"  # its failure fails the set-up
    ./scripts/setup_chromium.sh
fi
.venv/bin/python -c "import arabic_ie, torch, transformers; print('arabic-ie', arabic_ie.__version__, '| torch', torch.__version__, '| transformers', transformers.__version__)"
