#!/usr/bin/env python3
"""Benchmark: server-side render time of the Settings page with 100 integrations and the Ports page with
600 and 5 000 entries, reordering a panel of 200 entries, and the page weight (HTML, wasm, JS, CSS; raw
and gzip). Prints figures; asserts nothing (the goals are printed next to them).

Runs target/release/portall (make build) on a temporary database, on a free loopback port, safe mode."""
import gzip, http.client, json, os, socket, statistics, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINARY = os.environ.get("PORTALL_BIN", os.path.join(ROOT, "target/release/portall"))


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


SESSION = {}


def request(conn, method, path, body=None, headers=None):
    hdrs = {"Content-Type": "application/json"} if body is not None else {}
    if "cookie" in SESSION:
        hdrs["Cookie"] = SESSION["cookie"]
    hdrs.update(headers or {})
    conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=hdrs)
    resp = conn.getresponse()
    cookie = resp.getheader("Set-Cookie")
    if cookie and cookie.startswith("portall_session="):
        SESSION["cookie"] = cookie.split(";")[0]
    return resp.status, resp.read()


def main():
    if not os.path.exists(BINARY):
        sys.exit(f"{BINARY} is missing: run 'make build' first")
    tmp = tempfile.mkdtemp(prefix="portall-bench-pages-")
    port = free_port()
    env = dict(os.environ, PORT=str(port), PORTALL_BIND="127.0.0.1", PORTALL_NO_SCAN="1",
               DATABASE_URL=f"sqlite://{tmp}/bench.db", PORTALL_SITE_ROOT=os.path.join(ROOT, "target/site"),
               RUST_LOG="warn")
    proc = subprocess.Popen([BINARY], env=env, cwd=ROOT)
    try:
        for _ in range(100):
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                if request(conn, "GET", "/healthz")[0] == 200:
                    break
            except OSError:
                time.sleep(0.1)
        # Measured as a user sees it: signed in (password mode, the default), a session lookup per request.
        status, body = request(conn, "POST", "/api/auth/setup", {"username": "bench", "password": "bench password 1"})
        assert status == 201, body
        start = time.time()
        for i in range(100):
            kind = ("docker", "portainer", "komodo")[i % 3]
            config = {"docker": {"host": f"tcp://10.1.{i // 250}.{i % 250}:2375"},
                      "portainer": {"url": f"https://portainer{i}.lan:9443", "api_key": "k"},
                      "komodo": {"url": f"https://komodo{i}.lan", "api_key": "k", "api_secret": "s"}}[kind]
            status, body = request(conn, "POST", "/docker/instances",
                                   {"type": kind, "name": f"{kind} {i}", "auto_detect": False, "config": config})
            assert status == 201, body
        def seed(start, stop):
            for i in range(start, stop):
                status, body = request(conn, "POST", "/api/ports", {
                    "ip_address": f"192.168.{i // 100 // 250}.{i // 100 % 250 + 1}", "nickname": f"host-{i // 100}",
                    "port_number": 1000 + i % 100, "port_protocol": "TCP", "description": f"Service number {i}"})
                assert status == 201, body

        def render(path, label, goal):
            times = []
            for n in range(22):
                t = time.perf_counter()
                status, html = request(conn, "GET", path)
                elapsed = (time.perf_counter() - t) * 1000
                assert status == 200
                if n >= 2:
                    times.append(elapsed)
            times.sort()
            print(f"{label:<30} {statistics.median(times):>7.1f}ms {times[int(len(times) * 0.95) - 1]:>7.1f}ms "
                  f"{len(html) / 1024:>8.1f}KB {len(gzip.compress(html)) / 1024:>8.1f}KB   goal {goal}")

        seed(0, 600)
        print(f"seeded 100 integrations and 600 ports in {time.time() - start:.1f} s")
        print("\nserver-side render (GET, full body, 20 runs after 2 warm-ups)")
        print(f"{'page':<30} {'median':>9} {'p95':>9} {'HTML raw':>10} {'HTML gzip':>10}")
        render("/settings", "Settings, 100 integrations", "-")
        render("/", "Ports, 600 entries", "<= 20 ms, <= 300 KB")
        seed(600, 5000)
        render("/", "Ports, 5000 entries", "<= 40 ms, <= 1 MB")
        render("/?q=1099", "Ports, 5000, filter 1099", "-")

        # Reordering a panel of 200 entries: one request.
        ids = []
        for n in range(200):
            status, body = request(conn, "POST", "/api/ports", {
                "ip_address": "10.9.9.9", "port_number": 20000 + n, "description": f"Reorder {n}"})
            assert status == 201, body
            ids.append(json.loads(body)["id"])
        times = []
        for n in range(12):
            ids.reverse()
            t = time.perf_counter()
            status, body = request(conn, "PUT", "/api/hosts/10.9.9.9/order", {"port_ids": ids})
            elapsed = (time.perf_counter() - t) * 1000
            assert status == 204, body
            if n >= 2:
                times.append(elapsed)
        print(f"\nreorder a panel of 200 entries (PUT /api/hosts/{{address}}/order, 10 runs): "
              f"median {statistics.median(times):.1f} ms, max {max(times):.1f} ms   goal <= 50 ms")

        print("\nstatic assets (as served: target/site)")
        site = os.path.join(ROOT, "target/site")

        def size(rel):
            data = open(os.path.join(site, rel), "rb").read()
            return len(data), len(gzip.compress(data, 9))

        for rel in ("pkg/portall.wasm", "pkg/portall.js", "pkg/__wasm_split.______________________.js", "portall.css"):
            raw, gz = size(rel)
            print(f"{rel:<44} raw {raw / 1024:>8.1f}KB   gzip {gz / 1024:>8.1f}KB")
        # Each page is its own set of wasm modules (lazy routes): what a first visit to it loads.
        manifest = json.load(open(os.path.join(site, "pkg/__wasm_split_manifest.json")))
        main_raw, main_gz = size("pkg/portall.wasm")
        print(f"\nwasm a first visit loads (main module {main_gz / 1024:.1f}KB gzip + the page's modules"
              f" + the tab it opens on)   goal: <= 350 KB gzip per page")

        def is_tab(key):
            # `#[lazy]` functions named `<name>_tab` (the Settings tabs): `<name>_tab_<hash>`.
            head, _, tail = key.rpartition("_tab_")
            return bool(head) and tail.isdigit()

        routes = {k.strip("_").split("_route_view_")[0]: set(f) for k, f in manifest.items() if "_route_view_" in k}
        tabs = {k.rpartition("_tab_")[0]: set(f) for k, f in manifest.items() if is_tab(k)}
        visits = []
        for page, files in sorted(routes.items()):
            # The tabs are the Settings page's (`app/src/pages/settings`); its Tags tab has no module.
            own = tabs if page == "settings" else {}
            visits.append((f"{page} (tags)" if own else page, files))
            for tab, tab_files in sorted(own.items()):
                visits.append((f"{page} ({tab})", files | tab_files))
        for name, files in visits:
            sizes = [size(f"pkg/{f}.wasm") for f in files]
            raw = main_raw + sum(r for r, _ in sizes)
            gz = main_gz + sum(g for _, g in sizes)
            print(f"  {name:<24} {len(files) + 1:>3} modules   raw {raw / 1024:>8.1f}KB   gzip {gz / 1024:>8.1f}KB")
        # Each dialog loads when it first opens: what that adds to its page (modules the page lacks).
        pages = list(routes.values())
        print("\nwasm a dialog's first open adds (beyond a page that has it)")
        for key, files in sorted(manifest.items()):
            if "_route_view_" in key or is_tab(key):
                continue
            owner = max(pages, key=lambda p: len(p & set(files)))
            extra = [f for f in files if f not in owner]
            gz = sum(size(f"pkg/{f}.wasm")[1] for f in extra)
            print(f"  {key.rsplit('_', 1)[0]:<22} {len(extra):>3} modules   gzip {gz / 1024:>8.1f}KB")
        status, body = request(conn, "GET", "/pkg/portall.wasm", headers={"Accept-Encoding": "gzip"})
        print(f"{'wasm over HTTP (gzip on)':<30} {len(body) / 1024:>8.1f}KB transferred")
    finally:
        proc.terminate()
        proc.wait(timeout=10)


if __name__ == "__main__":
    main()
