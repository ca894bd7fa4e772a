#!/usr/bin/env bash
# Runs the arm64 binary once under qemu-user (loopback, a temporary database, sign-in off) and checks
# that it answers /healthz and serves a page: the cross-compiled build really works, not only links.
set -euo pipefail
BIN=${1:?usage: test-arm64.sh path/to/portall}
DIR=$(mktemp -d)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cleanup() { [ -n "${PID:-}" ] && kill "$PID" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$DIR"; }
trap cleanup EXIT
file "$BIN" | grep -q 'ARM aarch64' || { echo "test-arm64: $BIN is not an arm64 executable"; exit 1; }
PORT=$PORT PORTALL_BIND=127.0.0.1 PORTALL_AUTH=none PORTALL_NO_SCAN=1 \
  DATABASE_URL="sqlite://$DIR/portall.db" PORTALL_SITE_ROOT="$(dirname "$BIN")/site" \
  qemu-aarch64 "$BIN" > "$DIR/log" 2>&1 &
PID=$!
for _ in $(seq 1 600); do
  if curl -fsS "http://127.0.0.1:$PORT/healthz" > "$DIR/health" 2>/dev/null; then
    echo "test-arm64: /healthz under qemu-aarch64: $(cat "$DIR/health")"
    curl -fsS "http://127.0.0.1:$PORT/settings" | grep -q '<h1>Settings</h1>' \
      || { echo "test-arm64: the Settings page did not render"; exit 1; }
    qemu-aarch64 "$BIN" --version
    echo "test-arm64: ok"
    exit 0
  fi
  kill -0 "$PID" 2>/dev/null || { echo "test-arm64: exited early:"; cat "$DIR/log"; exit 1; }
  sleep 0.1
done
echo "test-arm64: no answer within 60 s:"; cat "$DIR/log"; exit 1
