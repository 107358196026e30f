#!/usr/bin/env bash
# Headless Chromium for the HTML view's browser test (tests/test_render_page.py): Debian's
# `chromium` package. Installs it when missing and we are root (CI is); otherwise says how.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
    chromium --version 2>/dev/null || true
    exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq chromium >/dev/null
    chromium --version 2>/dev/null || true
else
    echo "setup_chromium: chromium is missing; install Debian's package (sudo apt-get install chromium)" \
         "to run the browser test" >&2
fi
