#!/usr/bin/env python3
"""Tests the container image the way a user runs it (`make test-image`, after `make image`).

Read-only root filesystem, a fresh named volume, the health check turning healthy, first-run setup and
the API, a Docker instance through the mounted socket, a container's port found, SIGTERM ending it
cleanly within 5 s, the data surviving a restart on the same volume, and a legacy (Python Portall)
database mounted at upstream's path upgraded in place. The container shares the host's network
namespace and listens on 127.0.0.1 only: every request stays on loopback. Everything it creates is
named portall-test-image-* and removed at the end.
"""
import json
import os
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

IMAGE = os.environ.get("PORTALL_IMAGE", "portall:latest")
SIZE_LIMIT = 25_000_000
TAG = f"portall-test-image-{os.getpid()}"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PASSWORD = "image test password"
created = {"containers": [], "volumes": []}


def sh(*args, check=True):
    r = subprocess.run(args, capture_output=True, text=True)
    if check and r.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed ({r.returncode}): {r.stderr.strip()}")
    return r.stdout.strip()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def check(condition, what, detail=""):
    """Prints `what`; on failure also the detail (an answer's body), and stops."""
    if not condition:
        raise SystemExit(f"FAILED: {what} {detail}")
    print(f"ok: {what}")


class Client:
    def __init__(self, port):
        self.base = f"http://127.0.0.1:{port}"
        self.cookie = None

    def call(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        if self.cookie:
            req.add_header("Cookie", self.cookie)
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                status, headers, text = r.status, r.headers, r.read().decode()
        except urllib.error.HTTPError as e:
            status, headers, text = e.code, e.headers, e.read().decode()
        cookie = headers.get("Set-Cookie")
        if cookie and "portall_session=" in cookie:
            self.cookie = cookie.split(";")[0]
        try:
            return status, json.loads(text) if text else None
        except json.JSONDecodeError:
            return status, text


def run_portall(name, port, volumes, env=(), user=None):
    args = ["docker", "run", "-d", "--name", name, "--network", "host", "--read-only",
            "--health-interval", "1s", "--health-start-period", "20s",
            "-e", f"PORT={port}", "-e", "PORTALL_BIND=127.0.0.1"]
    for v in volumes:
        args += ["-v", v]
    for e in env:
        args += ["-e", e]
    if user:
        args += ["--user", user]
    gid = os.stat("/var/run/docker.sock").st_gid
    args += ["--group-add", str(gid), IMAGE]
    sh(*args)
    if name not in created["containers"]:
        created["containers"].append(name)


def wait_healthy(name, limit=60):
    end = time.time() + limit
    while time.time() < end:
        status = sh("docker", "inspect", "--format", "{{.State.Health.Status}}", name)
        if status == "healthy":
            return
        if sh("docker", "inspect", "--format", "{{.State.Running}}", name) != "true":
            raise SystemExit(f"{name} stopped:\n{sh('docker', 'logs', name, check=False)}")
        time.sleep(0.5)
    raise SystemExit(f"{name} not healthy within {limit} s:\n{sh('docker', 'logs', name, check=False)}")


def ensure_busybox_image():
    """The FROM-scratch busybox image the other tests use too (no registry needed)."""
    if subprocess.run(["docker", "image", "inspect", "portall-test-busybox:1"], capture_output=True).returncode == 0:
        return
    with tempfile.TemporaryDirectory(prefix="portall-image-") as d:
        subprocess.run(["cp", "/bin/busybox", os.path.join(d, "busybox")], check=True)
        with open(os.path.join(d, "Dockerfile"), "w") as f:
            f.write('FROM scratch\nCOPY busybox /bin/busybox\nENTRYPOINT ["/bin/busybox"]\nCMD ["sleep", "86400"]\n')
        subprocess.run(["docker", "build", "-q", "-t", "portall-test-busybox:1", d], check=True,
                       env={**os.environ, "DOCKER_BUILDKIT": "0"}, capture_output=True)


def main():
    ensure_busybox_image()
    size = int(sh("docker", "image", "inspect", "--format", "{{.Size}}", IMAGE))
    print(f"image {IMAGE}: {size / 1e6:.1f} MB uncompressed")
    check(size <= SIZE_LIMIT, f"the image is at most {SIZE_LIMIT / 1e6:.0f} MB")
    user = sh("docker", "image", "inspect", "--format", "{{.Config.User}}", IMAGE)
    check(user and not user.startswith("0") and user != "root", f"runs as a non-root user ({user})")

    volume = f"{TAG}-data"
    sh("docker", "volume", "create", volume)
    created["volumes"].append(volume)
    port = free_port()
    name = f"{TAG}-app"
    run_portall(name, port, [f"{volume}:/data", "/var/run/docker.sock:/var/run/docker.sock:ro"])
    wait_healthy(name)
    check(True, "the health check (portall healthcheck) turns healthy on a read-only root filesystem")

    api = Client(port)
    status, body = api.call("GET", "/api/ports")
    check(status == 401, "the API needs a session (password mode by default)")
    status, body = api.call("POST", "/api/auth/setup", {"username": "admin", "password": PASSWORD})
    check(status == 201, "first-run setup creates the admin account", f"({status} {body})")
    status, inst = api.call("POST", "/docker/instances", {
        "type": "docker", "name": "engine", "auto_detect": False,
        "config": {"host": "unix:///var/run/docker.sock", "public_host": "192.0.2.70"}})
    check(status == 201, "a Docker instance through the mounted socket", f"({status} {inst})")
    published = free_port()
    web = f"{TAG}-web"
    sh("docker", "run", "-d", "--name", web, "-p", f"127.0.0.1:{published}:80",
       "portall-test-busybox:1", "sleep", "3600")
    created["containers"].append(web)
    status, result = api.call("POST", f"/docker/instances/{inst['id']}/scan")
    check(status == 200 and result.get("ok"), "a scan through the socket", f"({status} {result})")
    status, ports = api.call("GET", "/api/ports")
    check(any(p["port_number"] == published for p in ports), f"the container's port {published} is listed")

    started = time.time()
    sh("docker", "stop", "--time", "10", name)
    took = time.time() - started
    code = sh("docker", "inspect", "--format", "{{.State.ExitCode}}", name)
    print(f"SIGTERM → exit in {took:.2f} s")
    check(code == "0" and took < 5, f"SIGTERM: exit code 0 within 5 s (code {code}, {took:.2f} s)")
    sh("docker", "start", name)
    wait_healthy(name)
    api = Client(port)
    status, _ = api.call("POST", "/api/auth/login", {"username": "admin", "password": PASSWORD})
    check(status == 200, "the account survived a restart on the same volume")
    status, ports = api.call("GET", "/api/ports")
    check(any(p["port_number"] == published for p in ports), "the ports survived the restart")

    # Upgrading: the Python Portall's instance/ folder mounted at its path.
    with tempfile.TemporaryDirectory(prefix="portall-image-legacy-") as folder:
        db = os.path.join(folder, "portall.db")
        conn = sqlite3.connect(db)
        with open(os.path.join(ROOT, "migrations/0001_legacy_schema.sql")) as f:
            conn.executescript(f.read())
        conn.executemany(
            "INSERT INTO port (id, ip_address, nickname, port_number, port_protocol, description, \"order\", source, is_immutable) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, 'manual', 0)",
            [(1, "192.168.1.5", "nas", 8096, "TCP", "Jellyfin — médiathèque", 1),
             (2, "192.168.1.5", "nas", 53, "UDP", "Pi-hole DNS", 0)])
        conn.commit()
        conn.close()
        os.chmod(folder, 0o777)
        os.chmod(db, 0o666)
        legacy_port = free_port()
        legacy = f"{TAG}-legacy"
        run_portall(legacy, legacy_port, [f"{folder}:/app/instance"],
                    env=["DATABASE_URL=sqlite:////app/instance/portall.db", "PORTALL_AUTH=none"])
        wait_healthy(legacy)
        status, ports = Client(legacy_port).call("GET", "/api/ports")
        descriptions = sorted(p["description"] for p in ports) if status == 200 else []
        check(descriptions == ["Jellyfin — médiathèque", "Pi-hole DNS"],
              f"a legacy database at upstream's path is upgraded in place ({descriptions})")
        backups = [f for f in os.listdir(folder) if ".pre-upgrade-" in f]
        check(len(backups) == 1, f"the upgrade wrote its backup next to the database ({backups})")
        sh("docker", "rm", "-f", legacy)
    print("image tests passed")


if __name__ == "__main__":
    try:
        main()
    finally:
        for c in created["containers"]:
            subprocess.run(["docker", "rm", "-f", c], capture_output=True)
        for v in created["volumes"]:
            subprocess.run(["docker", "volume", "rm", "-f", v], capture_output=True)
