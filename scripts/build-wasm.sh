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

# The browser's standard library is compiled here, for size, rather than taken prebuilt: it aborts on
# a panic without formatting a message (`-Cpanic=immediate-abort`: no panic messages, locations or
# formatting code in the wasm; a panic shows in the console as a wasm `unreachable` error), `Debug`
# prints nothing (`-Zfmt-debug=none`; the browser shows no `{:?}`), and std's `optimize_for_size`
# algorithms. Together 11-12 % off every first visit (Ports 400 → 355 KB gzip, measured 2026-12-03).
# That takes the standard library's source matching the compiler, which rustup cannot fetch here, so
# the browser's wasm is built by Debian's `rustc-web`/`cargo-web` with `rust-web-src`
# (scripts/deps.sh installs them); RUSTC_BOOTSTRAP=1 lets them take the unstable flags. Everything
# else (server, tests, clippy) stays on rustup's toolchain, whose `rust-lld` links the wasm here.
# Its own target directory: the two compilers' artifacts do not mix.
WASM_CARGO=${PORTALL_WASM_CARGO:-/usr/bin/cargo}
WASM_RUSTC=${PORTALL_WASM_RUSTC:-/usr/bin/rustc}
HOST=$(rustc -vV | sed -n 's/^host: //p')
LLD="$(rustc --print sysroot)/lib/rustlib/$HOST/bin/rust-lld"
WASM_TARGET_DIR="$TARGET_DIR/browser"
# `--config` adds to the wasm32 flags of `.cargo/config.toml` (the relocations the splitter needs:
# `--emit-relocs`) instead of replacing them, as RUSTFLAGS would.
RUSTC_BOOTSTRAP=1 RUSTC="$WASM_RUSTC" CARGO_TARGET_DIR="$WASM_TARGET_DIR" "$WASM_CARGO" build \
  -p frontend --lib --target wasm32-unknown-unknown --profile wasm-release \
  -Zbuild-std=std,panic_abort -Zbuild-std-features=optimize_for_size \
  --config "target.wasm32-unknown-unknown.linker=\"$LLD\"" \
  --config 'target.wasm32-unknown-unknown.rustflags=["-Zunstable-options", "-Cpanic=immediate-abort", "-Zfmt-debug=none", "-Zlocation-detail=none"]'
mkdir -p "$PKG"
portall-wasm-split "$WASM_TARGET_DIR/wasm32-unknown-unknown/wasm-release/frontend.wasm" "$PKG" "$NAME"
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
