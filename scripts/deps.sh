#!/usr/bin/env bash
# Installs what Portall's build (`build`) or its tests (`test`) need and is missing. Idempotent: every
# step checks first. Pinned versions: see ../shared/BUILD.md (Trunk + cargo; no tool downloads at build time).
set -euo pipefail
cd "$(dirname "$0")/.."

MODE=${1:-build}
TRUNK_VERSION=0.21.14
WASM_BINDGEN_VERSION=0.2.130

log() { printf '\033[1m[deps]\033[0m %s\n' "$*"; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

APT_UPDATED=0
apt_install() {
  local missing=()
  for pkg in "$@"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "apt: installing ${missing[*]}"
  if [ $APT_UPDATED = 0 ]; then as_root apt-get update -qq; APT_UPDATED=1; fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# Build tools: a C compiler for -sys crates, Node.js/npm for wasm-opt (npm binaryen) and Playwright.
command -v cc >/dev/null 2>&1 || apt_install build-essential
command -v npm >/dev/null 2>&1 || apt_install nodejs npm
apt_install pkg-config

if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  log "rustup: adding wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi
rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy
rustup component list --installed 2>/dev/null | grep -q '^rustfmt' || rustup component add rustfmt

# The browser's wasm is built with a standard library compiled for size (scripts/build-wasm.sh), from
# the source that matches the compiler: Debian's rustc-web toolchain and its source.
apt_install rustc-web cargo-web rust-web-src

if [ "$(trunk --version 2>/dev/null)" != "trunk $TRUNK_VERSION" ]; then
  log "cargo: installing trunk $TRUNK_VERSION (about 12 minutes on 2 cores)"
  cargo install trunk --version "$TRUNK_VERSION" --locked --force
fi
if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $WASM_BINDGEN_VERSION" ]; then
  log "cargo: installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (about 10 minutes on 2 cores)"
  # Not --locked: its lock file names a webpki-roots release the registry lacks.
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
fi

# The wasm splitter (tools/wasm-split, its own lock file, and its copy of the splitting library in
# vendor/): rebuilt when their sources change.
SPLIT_STAMP="target/tools/.wasm-split-$(find tools/wasm-split/Cargo.toml tools/wasm-split/Cargo.lock tools/wasm-split/src vendor/wasm_split_cli_support -type f | sort | xargs cat | sha256sum | cut -c1-16)"
if [ ! -x target/tools/bin/portall-wasm-split ] || [ ! -e "$SPLIT_STAMP" ]; then
  log "cargo: building the wasm splitter tools/wasm-split (about 1 minute on 2 cores)"
  CARGO_TARGET_DIR=target/tools/build cargo install --quiet --path tools/wasm-split --locked --root target/tools --force
  rm -f target/tools/.wasm-split-*
  touch "$SPLIT_STAMP"
fi

# npm: wasm-opt (binaryen 132; Debian's 108 breaks the wasm) and Playwright, without browser downloads.
if ! cmp -s end2end/package-lock.json end2end/node_modules/.portall-installed-lock 2>/dev/null; then
  log "npm: installing end2end/ dependencies"
  (cd end2end && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
  cp end2end/package-lock.json end2end/node_modules/.portall-installed-lock
fi

# The container image: the static (musl) target and its C compiler (aws-lc and SQLite are C).
if [ "$MODE" = image ] || [ "$MODE" = test ]; then
  apt_install musl-tools ca-certificates
  if ! rustup target list --installed 2>/dev/null | grep -qx x86_64-unknown-linux-musl; then
    log "rustup: adding x86_64-unknown-linux-musl"
    rustup target add x86_64-unknown-linux-musl
  fi
fi
# The arm64 release binary: the cross C compiler and libc, and qemu-user to run it once.
if [ "$MODE" = arm64 ] || [ "$MODE" = test ]; then
  apt_install gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user file curl
  if ! rustup target list --installed 2>/dev/null | grep -qx aarch64-unknown-linux-gnu; then
    log "rustup: adding aarch64-unknown-linux-gnu"
    rustup target add aarch64-unknown-linux-gnu
  fi
fi
if [ "$MODE" = test ]; then
  # A second opinion on GET /api/openapi.json (written by the OpenAPI test).
  python3 -c 'import openapi_spec_validator' 2>/dev/null || {
    log "pip: installing openapi-spec-validator 0.9.0"
    python3 -m pip install --quiet --disable-pip-version-check 'openapi-spec-validator==0.9.0'
  }
  apt_install docker.io busybox-static chromium ca-certificates iproute2
  scripts/ensure-dockerd.sh
fi
log "ready ($MODE)"
