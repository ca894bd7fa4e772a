#!/usr/bin/env bash
# Builds the browser's wasm into the pkg directory given (Trunk's staging `pkg/`, from its post_build
# hook): compile, split at the lazy routes, bind, optimise.
#
# Why not Trunk's own wasm step: each page is a Leptos lazy route (`app/src/lib.rs`), so the browser
# loads the shared runtime plus the page it shows, not every page's code. Trunk cannot split a wasm;
# `portall-wasm-split` (tools/wasm-split) does, between cargo and wasm-bindgen.
set -euo pipefail
cd "$(dirname "$0")/.."
PKG=${1:?usage: scripts/build-wasm.sh <pkg dir>}
NAME=${LEPTOS_OUTPUT_NAME:-portall}
TARGET_DIR=${CARGO_TARGET_DIR:-target}
export PATH="$PWD/end2end/node_modules/.bin:$PWD/target/tools/bin:$PATH"

# The relocations the splitter needs come from `.cargo/config.toml` (`--emit-relocs` for wasm32).
cargo build -p frontend --lib --target wasm32-unknown-unknown --profile wasm-release
mkdir -p "$PKG"
portall-wasm-split "$TARGET_DIR/wasm32-unknown-unknown/wasm-release/frontend.wasm" "$PKG" "$NAME"
wasm-bindgen --target web --keep-lld-exports --no-typescript --out-dir "$PKG" --out-name "$NAME" "$PKG/${NAME}_split.wasm"
rm "$PKG/${NAME}_split.wasm"
# The hydration script asks for /pkg/<name>.wasm.
mv "$PKG/${NAME}_bg.wasm" "$PKG/$NAME.wasm"

# wasm-opt 132 from npm (Debian's 108 breaks the wasm), both cores: the main module and every chunk.
# The splitter drops the target_features section, so the features are named here. wasm-opt warns
# about a name subsection it does not know in each chunk (names only; they are dropped anyway).
# The producers and target_features sections go too: the browser reads neither, and a first visit
# loads 20 to 56 modules, each compressed on its own (3 to 6 KB gzip a page).
{
  find "$PKG" -name '*.wasm' -print0 | xargs -0 -P 2 -I{} \
    wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
    --enable-mutable-globals --enable-reference-types --strip-producers --strip-target-features \
    {} -o {} 2>&1 1>&3 |
    { grep -v 'unknown name subsection' || true; } >&2
} 3>&1
echo "wasm: $(find "$PKG" -name '*.wasm' | wc -l) modules, main $(stat -c %s "$PKG/$NAME.wasm") bytes"
