"""Bounded load on loopback through gunicorn, and durability when the server is SIGKILLed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from cds_service.hook_handler import load_services
from cds_service.storage import Storage
from tests.conftest import ROOT, SIGN, free_port, hook_request, wait_until_up

LOAD_SECONDS = 4.0
CLIENTS = 8
TEMPLATES = load_services()[SIGN].prefetch
REQUEST = hook_request("s1-implant-spondylosis.json", TEMPLATES)


@pytest.fixture
def gunicorn(tmp_path: Path) -> Iterator[tuple[str, str, subprocess.Popen[bytes]]]:
    """gunicorn with 2 workers on loopback, sharing one SQLite file (WAL)."""
    port = free_port()
    url = f"sqlite:///{tmp_path / 'load.db'}"
    env = {**os.environ, "CDS_DATABASE_URL": url, "CDS_LOG_LEVEL": "WARNING"}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--threads",
            "4",
            "--timeout",
            "30",
            "cds_service.app:create_app()",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{base}/healthz", 30)
    except AssertionError:
        process.kill()
        raise
    try:
        yield base, url, process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=15)


def _feedback(card: str) -> dict[str, Any]:
    return {
        "feedback": [
            {
                "card": card,
                "outcome": "overridden",
                "outcomeTimestamp": "2026-11-21T10:00:00Z",
                "overrideReason": {"reason": {"code": "clinical-judgment"}},
            }
        ]
    }


def test_concurrent_hooks_and_feedback_lose_nothing(gunicorn: tuple[str, str, Any]) -> None:
    base, url, _ = gunicorn
    errors: list[str] = []
    hooks: list[str] = []
    feedback: list[str] = []
    lock = threading.Lock()
    stop = time.monotonic() + LOAD_SECONDS

    def client() -> None:
        session = requests.Session()
        while time.monotonic() < stop:
            request = {**REQUEST, "hookInstance": str(uuid.uuid4())}
            answer = session.post(f"{base}/cds-services/{SIGN}", json=request, timeout=10)
            if answer.status_code != 200:
                with lock:
                    errors.append(f"hook {answer.status_code}")
                continue
            card = answer.json()["cards"][0]["uuid"]
            stored = session.post(
                f"{base}/cds-services/{SIGN}/feedback", json=_feedback(card), timeout=10
            )
            with lock:
                hooks.append(request["hookInstance"])
                if stored.status_code == 200 and stored.json() == {"stored": 1, "duplicates": 0}:
                    feedback.append(card)
                else:
                    errors.append(f"feedback {stored.status_code}")

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=LOAD_SECONDS + 30)
    assert errors == []
    assert len(hooks) > 20, "the load test made too few calls to mean anything"
    storage = Storage(url)
    assert storage.feedback_cards() == set(feedback)
    assert {r.hook_instance for r in storage.audit_trail()} == set(hooks)
    storage.close()
    print(json.dumps({"hooks": len(hooks), "feedback": len(feedback), "seconds": LOAD_SECONDS}))


def test_sigkill_mid_load_loses_no_acknowledged_feedback(gunicorn: tuple[str, str, Any]) -> None:
    base, url, process = gunicorn
    acknowledged: list[str] = []
    stop = threading.Event()

    def client() -> None:
        session = requests.Session()
        while not stop.is_set():
            card = str(uuid.uuid4())
            try:
                answer = session.post(
                    f"{base}/cds-services/{SIGN}/feedback", json=_feedback(card), timeout=5
                )
            except requests.RequestException:
                return
            if answer.status_code == 200:
                acknowledged.append(card)

    threads = [threading.Thread(target=client) for _ in range(4)]
    for thread in threads:
        thread.start()
    time.sleep(1.5)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)
    stop.set()
    for thread in threads:
        thread.join(timeout=10)
    assert len(acknowledged) > 10
    storage = Storage(url)
    assert set(acknowledged) <= storage.feedback_cards()
    storage.close()
