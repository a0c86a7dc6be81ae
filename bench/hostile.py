"""Hostile-input measurements for the README's Security section (loopback only, bounded).

    .venv/bin/python bench/hostile.py

1. A FHIR server that answers 50 pages of 2,000 Observations each, budget 4 s: wall time.
2. 8 hook calls against a server that drips a byte every 0.2 s: wall time and threads left.
3. 9 requests of long ``code.text`` values: worker RSS before and after.
Every loop is bounded in count and time; every server listens on 127.0.0.1.
"""

from __future__ import annotations

import http.server
import json
import resource
import socket
import sys
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cds_service.app import create_app
from cds_service.config import Settings
from cds_service.replay import fhir_authorization
from tests.conftest import AS_OF, SIGN, hook_request

PAGES, PER_PAGE = 50, 2000


def _observation(i: int) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": f"o{i}",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "72514-3"}]},
        "subject": {"reference": "Patient/implant-ok-patient"},
        "effectiveDateTime": "2026-10-01T10:00:00Z",
        "valueQuantity": {"value": 3},
    }


def _page_body(port: int, page: int) -> bytes:
    entries = [{"resource": _observation(page * PER_PAGE + i)} for i in range(PER_PAGE)]
    bundle: dict[str, Any] = {"resourceType": "Bundle", "type": "searchset", "entry": entries}
    if page + 1 < PAGES:
        bundle["link"] = [
            {"relation": "next", "url": f"http://127.0.0.1:{port}/fhir/page/{page + 1}"}
        ]
    return json.dumps(bundle).encode()


def _big_server() -> tuple[http.server.ThreadingHTTPServer, int]:
    cache: dict[int, bytes] = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            port = self.server.server_address[1]
            page = int(self.path.rsplit("/", 1)[1]) if "/page/" in self.path else 0
            if "Observation" not in self.path and "/page/" not in self.path:
                body = b'{"resourceType": "Bundle", "type": "searchset"}'
            else:
                body = cache.setdefault(page, _page_body(int(port), page))
            self.send_response(200)
            self.send_header("Content-Type", "application/fhir+json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            return

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, int(server.server_address[1])


def _drip_server(stop: threading.Event) -> int:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    listener.settimeout(0.1)

    def drip(conn: socket.socket) -> None:
        with conn:
            for byte in b"HTTP/1.1 200 OK\r\n" * 20:
                if stop.wait(0.2):
                    return
                try:
                    conn.send(bytes([byte]))
                except OSError:
                    return

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            threading.Thread(target=drip, args=(conn,), daemon=True).start()
        listener.close()

    threading.Thread(target=accept, daemon=True).start()
    return int(listener.getsockname()[1])


def _request(client: Any, server: str | None) -> dict[str, Any]:
    services = client.get("/cds-services").get_json()["services"]
    templates = next(s["prefetch"] for s in services if s["id"] == SIGN)
    request = hook_request("implant-criteria-met.json", templates)
    if server:
        del request["prefetch"]["painScores"]
        request["fhirServer"] = server
        request["fhirAuthorization"] = fhir_authorization("t")
    return request


def _post(client: Any, body: dict[str, Any]) -> Any:
    return client.post(
        f"/cds-services/{SIGN}", data=json.dumps(body), content_type="application/json"
    )


def big_answer() -> dict[str, Any]:
    server, port = _big_server()
    client = create_app(Settings(as_of=AS_OF, allow_http_localhost=True)).test_client()
    request = _request(client, f"http://127.0.0.1:{port}/fhir")
    started = time.monotonic()
    response = _post(client, request)
    elapsed = time.monotonic() - started
    server.shutdown()
    return {"status": response.status_code, "seconds": round(elapsed, 2), "budget": 4.0}


def dripping() -> dict[str, Any]:
    stop = threading.Event()
    port = _drip_server(stop)
    client = create_app(
        Settings(as_of=AS_OF, allow_http_localhost=True, hook_time_budget=1.0)
    ).test_client()
    request = _request(client, f"http://127.0.0.1:{port}/fhir")
    before = threading.active_count()
    started = time.monotonic()
    statuses = [_post(client, request).status_code for _ in range(8)]
    elapsed = time.monotonic() - started
    time.sleep(0.5)
    left = threading.active_count() - before
    stop.set()
    return {"statuses": sorted(set(statuses)), "seconds_for_8": round(elapsed, 2), "threads": left}


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def long_code_text() -> dict[str, Any]:
    client = create_app(Settings(as_of=AS_OF)).test_client()
    request = _request(client, None)
    _post(client, request)
    before = _rss_mb()
    for n in range(9):
        body = json.loads(json.dumps(request))
        entries = body["prefetch"]["conditions"]["entry"]
        for i in range(200):
            clone = json.loads(json.dumps(entries[1]))
            clone["resource"]["id"] = f"long-{n}-{i}"
            clone["resource"]["code"]["text"] = f"{n}-{i} lumbar radiculopathy " + "y" * 20000
            entries.append(clone)
        _post(client, body)
    return {"rss_before_mb": round(before, 1), "rss_after_9_mb": round(_rss_mb(), 1)}


if __name__ == "__main__":
    print(json.dumps({"big_answer": big_answer()}))
    print(json.dumps({"dripping": dripping()}))
    print(json.dumps({"long_code_text": long_code_text()}))
