#!/usr/bin/env bash
# Idempotent set-up of a fresh Debian machine: system packages, then .venv with the project.
# Re-running it when everything is present takes a second or two.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  chromium                      # Playwright drives Debian's Chromium (no browser download here)
  libreoffice-writer-nogui      # DOC/WPS -> DOCX, DOCX -> PDF for fixtures
  libreoffice-calc-nogui        # XLS
  antiword                      # cross-check of DOC tables
  poppler-utils                 # pdftoppm/pdftotext
  tesseract-ocr tesseract-ocr-chi-sim
  fonts-noto-cjk                # CJK font for generated PDFs and screenshots
  redis-server                  # distributed crawling (scrapy-redis) and its tests
  qpdf                          # encrypted-PDF fixtures
)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

stamp=.venv/.setup-stamp
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "setup: installing Python packages into .venv"
  .venv/bin/pip install -q --upgrade pip
  .venv/bin/pip install -q -e '.[dev]'
  touch "$stamp"
fi

# pywb replays exported WARC/WACZ in the tests. It pins redis<3 (through fakeredis), which
# conflicts with scrapy-redis, so it lives in a tool environment of its own.
PYWB_VERSION=2.10.0
if [ ! -x .tools/pywb/bin/wayback ] || ! .tools/pywb/bin/pip show pywb 2>/dev/null | grep -q "^Version: $PYWB_VERSION$"; then
  echo "setup: installing pywb $PYWB_VERSION into .tools/pywb"
  python3 -m venv .tools/pywb
  .tools/pywb/bin/pip install -q "pywb==$PYWB_VERSION"
fi
