"""The commands as a user runs them: `serve` answers over real HTTP, `replay` as a process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

from cds_service.hook_handler import load_services
from cds_service.replay import request_from_bundle
from tests.conftest import FIXTURES, ROOT, free_port, load_fixture, topics, wait_until_up


def _clean_env(state: Path, **extra: str) -> dict[str, str]:
    """The environment without the developer's CDS_* settings, with a private state dir."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("CDS_")}
    return {**env, "XDG_STATE_HOME": str(state), **extra}


def _start_serve(
    args: list[str], env: dict[str, str], cwd: Path
) -> tuple[subprocess.Popen[bytes], str]:
    """``serve`` on a free loopback port, as a user starts it; returns (process, base URL)."""
    port = free_port()
    command = [sys.executable, "-m", "cds_service", "serve", "--host", "127.0.0.1"]
    process = subprocess.Popen(
        [*command, "--port", str(port), *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return process, f"http://127.0.0.1:{port}"


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def state_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("state")


@pytest.fixture(scope="module")
def serve_cwd(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("serve-cwd")


@pytest.fixture(scope="module")
def served(state_dir: Path, serve_cwd: Path) -> Iterator[str]:
    process, base = _start_serve(["--workers", "1"], _clean_env(state_dir), serve_cwd)
    try:
        wait_until_up(f"{base}/healthz", 20)
        yield base
    finally:
        _stop(process)


def test_serve_answers_discovery_and_hooks(served: str) -> None:
    discovery = requests.get(f"{served}/cds-services", timeout=5).json()
    service = next(s for s in discovery["services"] if s["hook"] == "order-sign")
    request = request_from_bundle(
        load_fixture("s2-implant-generalized-pain.json"), "order-sign", service["prefetch"]
    )
    response = requests.post(f"{served}/cds-services/{service['id']}", json=request, timeout=10)
    assert response.status_code == 200
    assert topics(response.json()) == {
        "conservative-therapy",
        "trial-response",
        "psych-evaluation",
        "evidence-caveat",
    }
    bad = requests.post(
        f"{served}/cds-services/{service['id']}",
        data="{",
        headers={"Content-Type": "application/json"},
        timeout=5,
    )
    assert bad.status_code == 400 and bad.json()["resourceType"] == "OperationOutcome"


def test_replay_as_a_process() -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "cds_service",
            "replay",
            str(FIXTURES / "s3-continuation-morphine-bupivacaine.json"),
            "--as-of",
            "2026-11-21",
            "--policy",
            "continuation",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert topics(json.loads(done.stdout)) == {"criteria-met", "dose-range"}


def test_replay_of_garbage_fails_in_one_line(tmp_path: object) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "cds_service", "replay", str(ROOT / "README.md")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode != 0
    assert done.stdout == ""
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr


def test_services_load_with_every_preset() -> None:
    for name in ("default", "continuation", "strict", "cms-ncd-280.14"):
        assert {s.policy.name for s in load_services(name).values()} == {name}


def test_request_command_output_can_be_posted(served: str) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "cds_service",
            "request",
            str(FIXTURES / "s0-refill-morphine-fibromyalgia.json"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    response = requests.post(
        f"{served}/cds-services/itdd-order-sign",
        data=done.stdout,
        headers={"Content-Type": "application/json"},
        timeout=10,
    )
    assert response.status_code == 200
    # The server evaluates as of today, so only the date-independent gaps are asserted here.
    assert {"psych-evaluation", "continued-efficacy", "evidence-caveat"} <= topics(response.json())


def test_served_database_is_found_by_audit_from_any_directory(
    served: str, state_dir: Path, serve_cwd: Path, tmp_path: Path
) -> None:
    service = load_services()["itdd-order-sign"]
    request = request_from_bundle(
        load_fixture("s1-implant-spondylosis.json"), "order-sign", service.prefetch
    )
    response = requests.post(f"{served}/cds-services/{service.id}", json=request, timeout=10)
    assert response.status_code == 200
    assert (state_dir / "itdd-cds" / "itdd-cds.db").is_file()
    assert list(serve_cwd.iterdir()) == []  # the database is not relative to serve's cwd
    done = subprocess.run(
        [sys.executable, "-m", "cds_service", "audit"],
        cwd=tmp_path,  # not the directory serve ran in
        env=_clean_env(state_dir),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    instances = [json.loads(line)["hookInstance"] for line in done.stdout.splitlines()]
    assert request["hookInstance"] in instances
    assert list(tmp_path.iterdir()) == []


# --- serve --policy keeps the environment (JWT, database) --------------------------------

PUBLIC_BASE = "https://cds.example.org"
ISSUER = "https://ehr.example.org"
KEY = ec.generate_private_key(ec.SECP384R1())


def _trusted_clients(path: Path) -> Path:
    jwk = json.loads(ECAlgorithm.to_jwk(KEY.public_key()))
    path.write_text(json.dumps([{"iss": ISSUER, "jwks": {"keys": [{**jwk, "kid": "k1"}]}}]))
    return path


def _client_jwt(service_path: str) -> str:
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "sub": "ehr",
        "aud": f"{PUBLIC_BASE}{service_path}",
        "iat": now,
        "exp": now + 120,
        "jti": str(uuid.uuid4()),
    }
    return jwt.encode(claims, KEY, algorithm="ES384", headers={"kid": "k1"})


def test_serve_policy_keeps_jwt_and_database_from_the_environment(tmp_path: Path) -> None:
    database = tmp_path / "served.db"
    env = _clean_env(
        tmp_path / "state",
        CDS_JWT_REQUIRED="true",
        CDS_TRUSTED_CLIENTS_FILE=str(_trusted_clients(tmp_path / "trusted.json")),
        CDS_PUBLIC_BASE_URL=PUBLIC_BASE,
        CDS_DATABASE_URL=f"sqlite:///{database}",
    )
    process, base = _start_serve(["--workers", "1", "--policy", "strict"], env, tmp_path)
    path = "/cds-services/itdd-order-sign"
    request = request_from_bundle(
        load_fixture("s1-implant-spondylosis.json"),
        "order-sign",
        load_services()["itdd-order-sign"].prefetch,
    )
    try:
        wait_until_up(f"{base}/healthz", 20)
        anonymous = requests.post(f"{base}{path}", json=request, timeout=10)
        assert anonymous.status_code == 401
        assert anonymous.headers["WWW-Authenticate"] == "Bearer"
        signed = requests.post(
            f"{base}{path}",
            json=request,
            headers={"Authorization": f"Bearer {_client_jwt(path)}"},
            timeout=10,
        )
        # 200, not 503: the audit row went to CDS_DATABASE_URL, not a lost in-memory database.
        assert signed.status_code == 200, signed.text
        details = [card["detail"] for card in signed.json()["cards"]]
        assert details and all("policy strict " in detail for detail in details)
    finally:
        _stop(process)
    done = subprocess.run(
        [sys.executable, "-m", "cds_service", "audit"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    [record] = [json.loads(line) for line in done.stdout.splitlines()]
    assert record["hookInstance"] == request["hookInstance"] and record["policy"] == "strict"


def test_notes_eval_prints_the_table_for_each_split(capsys: pytest.CaptureFixture[str]) -> None:
    from cds_service.cli import main

    assert main(["notes-eval", "--split", "train"]) == 0
    out = capsys.readouterr().out
    for concept in ("psych", "trial", "prognosis", "empty-pump", "infection"):
        assert f"| {concept} | train |" in out
    assert "unsafe outcomes (train):" in out


def test_notes_eval_without_a_corpus_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from cds_service.cli import main

    assert main(["notes-eval", "--corpus", str(tmp_path)]) != 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no corpus file" in err[0]
