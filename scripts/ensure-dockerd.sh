#!/usr/bin/env bash
# Starts dockerd when /var/run/docker.sock does not answer, and waits until it does.
set -euo pipefail
if docker version >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" != 0 ]; then
  echo "ensure-dockerd: the Docker engine is not answering and starting it needs root" >&2
  exit 1
fi
echo "[deps] starting dockerd (log: /tmp/portall-dockerd.log)"
nohup dockerd >/tmp/portall-dockerd.log 2>&1 &
for _ in $(seq 1 60); do
  docker version >/dev/null 2>&1 && exit 0
  sleep 1
done
echo "ensure-dockerd: dockerd did not answer within 60 s; last log lines:" >&2
tail -n 20 /tmp/portall-dockerd.log >&2
exit 1
