#!/usr/bin/env bash
# Loads the built book's pages in headless Debian Chromium: every figure renders, every equation
# lays out, no console errors. Installs Chromium (apt) and playwright-core (npm, pinned by
# package-lock.json) when missing. Screenshots go to target/book-screenshots/.
#
#   scripts/check-book-browser.sh [page.html ...]    (default: every chapter of the built book)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
book="$root/book/build"
[ -f "$book/index.html" ] || { echo "no built book at $book: run 'cargo run --release' first" >&2; exit 1; }
if ! command -v chromium >/dev/null 2>&1; then
  echo "installing Debian's chromium ..."
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
cd "$root/scripts/browser"
[ -d node_modules/playwright-core ] || npm ci --no-audit --no-fund --silent
pages=("$@")
if [ ${#pages[@]} -eq 0 ]; then
  pages=(introduction.html performance.html errata.html glossary.html reproducing.html)
  for f in "$book"/papers/*.html; do pages+=("papers/$(basename "$f")"); done
fi
node check.mjs "$book" "$root/target/book-screenshots" "${pages[@]}"
