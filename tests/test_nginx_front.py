"""The production front: nginx buffers whole request bodies, so slow clients cannot stall gunicorn.

Ten clients send a 2000-byte body one byte every 0.2 s. Straight at gunicorn they hold
every thread and a normal hook call times out; through nginx (scripts/serve-behind-nginx,
same worker and thread count) the same call answers 200 at once. Everything is on
loopback, and every loop is bounded in count and time.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import pytest
import requests

from cds_service.hook_handler import load_services
from cds_service.replay import request_from_bundle
from tests.conftest import ROOT, free_port, load_fixture, wait_until_up

SCRIPT = ROOT / "scripts" / "serve-behind-nginx"
SERVICE = "itdd-order-sign"
SLOW_CLIENTS = 10
SLOW_BODY_BYTES = 2000
DRIBBLE_INTERVAL = 0.2
DRIBBLE_SECONDS = 6.0  # then the slow clients hang up, having sent 30 of their 2000 bytes
NORMAL_CALL_SECONDS = 3.0
# serve runs 4 threads per worker. With one worker, 10 slow clients hold all 4 threads on
# every run; with the default two, which worker accepts each connection is up to the
# kernel, and a call may land on a worker that still has a free thread.
WORKERS = "1"
STARTUP_SECONDS = 30


def _nginx_binary() -> str:
    """nginx on PATH or at Debian's /usr/sbin/nginx; a skip locally, a failure under CI."""
    found = shutil.which("nginx") or (
        "/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None
    )
    if found:
        return found
    reason = "nginx is not installed (apt-get install nginx): the production front is untested"
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true: {reason}; .ci/run installs it")
    pytest.skip(reason)


def _env(state: Path) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith("CDS_")}
    return {**env, "XDG_STATE_HOME": str(state)}


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=45)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


@dataclass
class Front:
    base: str
    process: subprocess.Popen[bytes]
    log: Path

    def pids_and_prefix(self) -> tuple[int, int, Path]:
        """(nginx pid, gunicorn pid, prefix dir) from the script's start-up line."""
        found = re.search(
            r"nginx pid (\d+), gunicorn pid (\d+), prefix (\S+)\)", self.log.read_text()
        )
        assert found, self.log.read_text()
        return int(found[1]), int(found[2]), Path(found[3])


def _start_front(tmp: Path) -> Front:
    """scripts/serve-behind-nginx on a free loopback port; stderr to a file, never a pipe."""
    port = free_port()
    log = tmp / "serve-behind-nginx.log"
    with log.open("wb") as stderr:
        process = subprocess.Popen(
            [str(SCRIPT), "--listen", f"127.0.0.1:{port}", "--workers", WORKERS],
            env={**_env(tmp / "state"), "PYTHON": sys.executable, "NGINX": _nginx_binary()},
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    front = Front(f"http://127.0.0.1:{port}", process, log)
    try:
        wait_until_up(f"{front.base}/healthz", STARTUP_SECONDS)
    except AssertionError:
        _stop(process)
        raise AssertionError(f"front did not start:\n{log.read_text()[-2000:]}") from None
    return front


@pytest.fixture(scope="module")
def front(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Front]:
    started = _start_front(tmp_path_factory.mktemp("front"))
    try:
        yield started
    finally:
        _stop(started.process)


@pytest.fixture
def gunicorn_alone(tmp_path: Path) -> Iterator[str]:
    """``serve`` with the same worker and thread count, and nothing in front."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "cds_service", "serve", "--port", str(port), "--workers", WORKERS],
        env=_env(tmp_path / "state"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{base}/healthz", STARTUP_SECONDS)
        yield base
    finally:
        _stop(process)


class SlowClients:
    """Connections that send a POST's headers, then its body one byte at a time (bounded)."""

    def __init__(self, base: str):
        self.port = int(base.rsplit(":", 1)[1])
        self.sockets: list[socket.socket] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._dribble, daemon=True)

    def __enter__(self) -> SlowClients:
        head = (
            f"POST /cds-services/{SERVICE} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {SLOW_BODY_BYTES}\r\n\r\n"
        ).encode()
        for _ in range(SLOW_CLIENTS):
            sock = socket.create_connection(("127.0.0.1", self.port), timeout=2)
            sock.sendall(head)
            self.sockets.append(sock)
        self.thread.start()
        time.sleep(1.0)  # let the server take them in (gunicorn: each into a thread)
        return self

    def _dribble(self) -> None:
        deadline = time.monotonic() + DRIBBLE_SECONDS
        while not self.stop.wait(DRIBBLE_INTERVAL) and time.monotonic() < deadline:
            for sock in self.sockets:
                try:
                    sock.sendall(b" ")
                except OSError:
                    continue  # the server hung up on this one; waiting_for_body() reports it

    def waiting_for_body(self) -> int:
        """How many are still open, unanswered: the server is still waiting for their body."""
        return sum(self._waiting(sock) for sock in self.sockets)

    @staticmethod
    def _waiting(sock: socket.socket) -> bool:
        """Open and unanswered: a peek finds neither an answer nor the end of the stream."""
        sock.setblocking(False)
        try:
            sock.recv(1, socket.MSG_PEEK)  # an answer (e.g. 408) or b"" (closed)
        except BlockingIOError:
            return True
        except OSError:
            return False  # reset by the server
        finally:
            sock.setblocking(True)
        return False

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop.set()
        self.thread.join(timeout=DRIBBLE_SECONDS + 2)
        for sock in self.sockets:
            sock.close()


def _hook_request() -> str:
    request: dict[str, Any] = request_from_bundle(
        load_fixture("s1-implant-spondylosis.json"), "order-sign", load_services()[SERVICE].prefetch
    )
    request["hookInstance"] = str(uuid.uuid4())
    return json.dumps(request)


def _normal_call(base: str, seconds: float = NORMAL_CALL_SECONDS) -> requests.Response:
    return requests.post(
        f"{base}/cds-services/{SERVICE}",
        data=_hook_request(),
        headers={"Content-Type": "application/json"},
        timeout=(2, seconds),
    )


def test_through_nginx_a_normal_call_answers_while_slow_clients_dribble(front: Front) -> None:
    with SlowClients(front.base) as slow:
        started = time.monotonic()
        response = _normal_call(front.base)
        elapsed = time.monotonic() - started
        still_dribbling = slow.waiting_for_body()
    assert response.status_code == 200, response.text
    assert response.json()["cards"]
    assert elapsed < NORMAL_CALL_SECONDS
    assert still_dribbling == SLOW_CLIENTS  # nginx was still holding every slow client


def test_without_nginx_the_same_slow_clients_stall_the_normal_call(gunicorn_alone: str) -> None:
    assert _normal_call(gunicorn_alone).status_code == 200  # idle: fine
    with SlowClients(gunicorn_alone) as slow:
        with pytest.raises(requests.Timeout):
            _normal_call(gunicorn_alone)
        assert slow.waiting_for_body() == SLOW_CLIENTS
    # Once they hang up, the threads are free again: the stall was theirs.
    assert _normal_call(gunicorn_alone, seconds=10).status_code == 200


def test_nginx_refuses_a_body_over_the_limit_as_operation_outcome(front: Front) -> None:
    port = int(front.base.rsplit(":", 1)[1])
    head = (
        f"POST /cds-services/{SERVICE} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        f"Content-Type: application/json\r\nContent-Length: {60 * 1024 * 1024}\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(head.encode())  # and no body: nginx answers from the header alone
        headers, body = _read_response(sock)
    assert headers.startswith("HTTP/1.1 413")
    assert "\r\nServer: nginx\r\n" in headers  # server_tokens off: no version
    outcome = json.loads(body)
    assert outcome["resourceType"] == "OperationOutcome"
    assert outcome["issue"][0]["code"] == "too-costly"


def test_a_body_over_the_memory_buffer_goes_through_a_temp_file(front: Front) -> None:
    # 2 MB > client_body_buffer_size (1 MB): nginx spools it under its prefix, as the
    # unprivileged worker user, and still forwards it whole; the service then judges it.
    body = json.dumps({"hook": "order-sign", "padding": "x" * (2 * 1024 * 1024)})
    response = requests.post(
        f"{front.base}/cds-services/{SERVICE}",
        data=body,
        headers={"Content-Type": "application/json"},
        timeout=10,
    )
    assert response.status_code == 400  # the service's schema error, not nginx's 500
    assert response.json()["resourceType"] == "OperationOutcome"
    assert "buffered to a temporary file" in front.log.read_text()


def _read_response(sock: socket.socket) -> tuple[str, str]:
    """Headers and body of one response (nginx lingers after a 413, so not until EOF)."""
    answer = b""
    for _ in range(100):  # bounded: the whole answer is a few hundred bytes
        answer += sock.recv(65536)
        headers, _, body = answer.decode().partition("\r\n\r\n")
        length = re.search(r"\r\nContent-Length: (\d+)", headers)
        if length and len(body.encode()) >= int(length[1]):
            return headers, body
    raise AssertionError(f"incomplete response: {answer[:500]!r}")


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def _wait_gone(pids: tuple[int, ...], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if all(_gone(pid) for pid in pids):
            return True
        time.sleep(0.2)
    return False


def test_script_stops_both_when_stopped(tmp_path: Path) -> None:
    front = _start_front(tmp_path)
    nginx_pid, gunicorn_pid, prefix = front.pids_and_prefix()
    assert prefix.is_dir()
    front.process.send_signal(signal.SIGTERM)
    assert front.process.wait(timeout=45) != 0
    assert _wait_gone((nginx_pid, gunicorn_pid), 10)
    assert not prefix.exists()


def test_script_stops_nginx_when_gunicorn_exits(tmp_path: Path) -> None:
    front = _start_front(tmp_path)
    nginx_pid, gunicorn_pid, prefix = front.pids_and_prefix()
    try:
        os.kill(gunicorn_pid, signal.SIGTERM)
        front.process.wait(timeout=45)
    finally:
        if front.process.poll() is None:
            _stop(front.process)
    assert _wait_gone((nginx_pid, gunicorn_pid), 10)
    assert not prefix.exists()
