"""The benchmark: every measurement in one run, reported as ratios in bench/results.md.

a. hook latency with full prefetch through gunicorn on loopback, for generated records of
   50, 500, 5,000 and 20,000 resources, against a trivial endpoint on the same stack that
   only parses the same JSON;
b. hook latency without prefetch against a local HAPI FHIR server, against the slowest
   single search the hook needs, plus FHIR round trips per hook call;
c. throughput under concurrent clients, hook vs trivial endpoint, with error counts;
d. peak memory per gunicorn worker after the largest record.

Usage: python bench/run.py [--fhir-server URL] [--quick]
(bench/run does the set-up and starts HAPI when no --fhir-server is given.)
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.records import generate  # noqa: E402
from cds_service.fhir_loader import load_bundle  # noqa: E402
from cds_service.gathering import SEARCH_PAGE_SIZE  # noqa: E402
from cds_service.hook_handler import load_services  # noqa: E402
from cds_service.replay import request_from_bundle  # noqa: E402

SIZES = (50, 500, 5000, 20000)
SERVICE = "itdd-order-sign"
AS_OF = dt.date(2026, 11, 21)
GOALS = {"a": 2.0, "b": 1.5, "c": 0.5}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """gunicorn serving the app (with the baseline endpoint) on loopback."""

    def __init__(self, workers: int, threads: int, db: Path):
        self.port = free_port()
        env = {
            **os.environ,
            "CDS_BENCH_BASELINE": "true",
            "CDS_LOG_LEVEL": "WARNING",
            "CDS_DATABASE_URL": f"sqlite:///{db}",
            "CDS_ALLOW_HTTP_LOCALHOST": "true",
            "CDS_HOOK_TIME_BUDGET": "60",
        }
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(workers),
                "--threads",
                str(threads),
                "--timeout",
                "120",
                "cds_service.app:create_app()",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        self.base = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{self.base}/healthz", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                time.sleep(0.2)
        raise RuntimeError("gunicorn did not start")

    def worker_pids(self) -> list[int]:
        out = subprocess.run(
            ["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True, check=False
        )
        return [int(p) for p in out.stdout.split()]

    def stop(self) -> None:
        os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait(timeout=30)


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)

    def pick(q: float) -> float:
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]

    return {
        "p50": statistics.median(ordered),
        "p95": pick(0.95),
        "p99": pick(0.99),
        "n": len(ordered),
    }


def time_posts(session: requests.Session, url: str, body: bytes, count: int) -> list[float]:
    headers = {"Content-Type": "application/json"}
    for _ in range(3):
        session.post(url, data=body, headers=headers, timeout=120).raise_for_status()
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        response = session.post(url, data=body, headers=headers, timeout=120)
        samples.append((time.perf_counter() - started) * 1000)
        response.raise_for_status()
    return samples


def hook_body(bundle: dict[str, Any], prefetch: bool, fhir_server: str | None = None) -> bytes:
    templates = load_services()[SERVICE].prefetch
    request = request_from_bundle(bundle, "order-sign", templates, None if prefetch else set())
    if fhir_server:
        request["fhirServer"] = fhir_server
    return json.dumps(request).encode()


def measure_latency(
    server: Server, sizes: tuple[int, ...], quick: bool
) -> dict[int, dict[str, Any]]:
    session = requests.Session()
    results = {}
    for size in sizes:
        body = hook_body(generate(size, AS_OF), prefetch=True)
        count = {50: 200, 500: 100, 5000: 30, 20000: 12}[size] // (4 if quick else 1)
        hook = time_posts(session, f"{server.base}/cds-services/{SERVICE}", body, count)
        trivial = time_posts(session, f"{server.base}/bench/baseline", body, count)
        cards = session.post(
            f"{server.base}/cds-services/{SERVICE}",
            data=body,
            headers={"Content-Type": "application/json"},
            timeout=120,
        ).json()["cards"]
        results[size] = {
            "bytes": len(body),
            "hook": percentiles(hook),
            "trivial": percentiles(trivial),
            "topics": sorted({c["source"]["topic"]["code"] for c in cards}),
        }
        print(
            f"a  {size:>6} resources  hook p50 {results[size]['hook']['p50']:8.1f} ms   "
            f"trivial p50 {results[size]['trivial']['p50']:7.1f} ms   {results[size]['topics']}",
            flush=True,
        )
    return results


def _hammer(url: str, body: bytes, seconds: float, clients: int) -> dict[str, Any]:
    """``clients`` threads posting ``body`` for ``seconds``; requests/s and errors."""
    done, errors = [0], [0]
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def client() -> None:
        session = requests.Session()
        while time.monotonic() < stop:
            try:
                ok = (
                    session.post(
                        url, data=body, headers={"Content-Type": "application/json"}, timeout=60
                    ).status_code
                    == 200
                )
            except requests.RequestException:
                ok = False
            with lock:
                done[0] += ok
                errors[0] += not ok

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    return {"requests_per_s": done[0] / elapsed, "errors": errors[0], "requests": done[0]}


def measure_throughput(server: Server, seconds: float, clients: int) -> dict[str, Any]:
    body = hook_body(generate(500, AS_OF), prefetch=True)
    out = {}
    for name, path in (("trivial", "/bench/baseline"), ("hook", f"/cds-services/{SERVICE}")):
        out[name] = _hammer(f"{server.base}{path}", body, seconds, clients)
        print(
            f"c  {name:<8} {out[name]['requests_per_s']:7.1f} req/s  errors {out[name]['errors']}",
            flush=True,
        )
    return out


def peak_memory_kb(pids: list[int]) -> dict[int, int]:
    peaks = {}
    for pid in pids:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                peaks[pid] = int(line.split()[1])
    return peaks


def measure_without_prefetch(server: Server, fhir: str, quick: bool) -> dict[str, Any]:
    bundle = generate(500, AS_OF, seed=11)
    load_bundle(bundle, fhir)
    templates = load_services()[SERVICE].prefetch
    patient = next(
        e["resource"]["id"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient"
    )
    session = requests.Session()
    count = 10 if quick else 30
    searches = {}
    for key, query in templates.items():
        url = f"{fhir}/{query.replace('{{context.patientId}}', patient)}"
        if "?" in url:
            url += f"&_count={SEARCH_PAGE_SIZE}"  # the same search the hook sends
        samples = []
        for attempt in range(count + 2):
            started = time.perf_counter()
            pages = _read_all_pages(session, url)
            if attempt >= 2:
                samples.append((time.perf_counter() - started) * 1000)
        searches[key] = {**percentiles(samples), "pages": pages}
        print(f"b  search {key:<18} p50 {searches[key]['p50']:7.1f} ms  pages {pages}", flush=True)
    body = hook_body(bundle, prefetch=False, fhir_server=fhir)
    hook = percentiles(time_posts(session, f"{server.base}/cds-services/{SERVICE}", body, count))
    slowest = max(searches.items(), key=lambda item: item[1]["p50"])
    round_trips = _round_trips(body)
    print(
        f"b  hook without prefetch p50 {hook['p50']:.1f} ms; slowest search {slowest[0]} "
        f"{slowest[1]['p50']:.1f} ms; {round_trips} round trips",
        flush=True,
    )
    return {"hook": hook, "searches": searches, "slowest": slowest[0], "round_trips": round_trips}


def _read_all_pages(session: requests.Session, url: str) -> int:
    pages = 0
    next_url: str | None = url
    while next_url:
        bundle = session.get(
            next_url, headers={"Accept": "application/fhir+json"}, timeout=60
        ).json()
        pages += 1
        next_url = next(
            (link["url"] for link in bundle.get("link", []) if link["relation"] == "next"), None
        )
    return pages


def _round_trips(body: bytes) -> int:
    """FHIR requests one hook call makes, counted in-process with a counting session."""
    from cds_service.app import create_app
    from cds_service.config import Settings

    app = create_app(
        Settings(as_of=AS_OF, allow_http_localhost=True, hook_time_budget=60, log_level="ERROR")
    )
    handler = app.extensions["hook_handler"]
    calls = [0]
    original = handler._session.get

    def counting_get(*args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        return original(*args, **kwargs)

    handler._session.get = counting_get
    response = app.test_client().post(
        f"/cds-services/{SERVICE}", data=body, content_type="application/json"
    )
    assert response.status_code == 200, response.get_json()
    return calls[0]


def machine() -> dict[str, str]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    memory = next(
        line.split(":", 1)[1].strip()
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal")
    )
    return {
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "memory": memory,
        "python": platform.python_version(),
        "os": platform.platform(),
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fhir-server", help="FHIR server for (b); omit to skip (b)")
    parser.add_argument("--quick", action="store_true", help="fewer samples (a smoke run)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench")
    args = parser.parse_args()
    db = Path(os.environ.get("TMPDIR", "/tmp")) / f"itdd-bench-{os.getpid()}.db"
    results: dict[str, Any] = {"machine": machine()}
    server = Server(workers=2, threads=4, db=db)
    try:
        results["a"] = measure_latency(server, SIZES, args.quick)
        results["d"] = peak_memory_kb(server.worker_pids())
        results["c"] = measure_throughput(server, 3.0 if args.quick else 8.0, clients=8)
        if args.fhir_server:
            results["b"] = measure_without_prefetch(server, args.fhir_server, args.quick)
    finally:
        server.stop()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
    from bench.report import write_report

    write_report(results, args.out)
    print(f"wrote {args.out / 'results.md'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
