"""Settings from the environment: checked when read, kept by serve and replay, one-line errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from cds_service.app import create_app
from cds_service.cli import replay_settings, serve_settings
from cds_service.config import Settings, default_database_url
from cds_service.errors import ConfigurationError
from tests.conftest import FIXTURES, free_port

UNREACHABLE = "postgresql+psycopg://u:secretpw@127.0.0.1:1/db"
MISSING_DIR = "sqlite:////nonexistent/dir/x.db"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No CDS_* variable of the developer's shell, and a private state directory."""
    for name in list(os.environ):
        if name.startswith("CDS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))


# --- reading the environment ----------------------------------------------------------


def test_unknown_log_level_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CDS_LOG_LEVEL", "LOUD")
    with pytest.raises(ConfigurationError, match=r"CDS_LOG_LEVEL.*'LOUD'"):
        Settings.from_env()
    monkeypatch.setenv("CDS_LOG_LEVEL", "debug")
    assert Settings.from_env().log_level == "DEBUG"


def test_unknown_log_level_in_code_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="LOUD"):
        create_app(Settings(log_level="LOUD"))


@pytest.mark.parametrize(
    ("url", "message"),
    [("foo://x", "unknown database driver 'foo'"), ("nonsense", "not a database URL")],
)
def test_database_url_driver_is_checked_when_read(
    monkeypatch: pytest.MonkeyPatch, url: str, message: str
) -> None:
    monkeypatch.setenv("CDS_DATABASE_URL", url)
    with pytest.raises(ConfigurationError, match=rf"CDS_DATABASE_URL .*{message}"):
        Settings.from_env()


def test_default_database_is_an_absolute_per_user_path(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    assert Settings.from_env().database_url == f"sqlite:///{tmp_path}/state/itdd-cds/itdd-cds.db"
    # XDG: a relative $XDG_STATE_HOME is ignored, ~/.local/state is the fallback.
    monkeypatch.setenv("XDG_STATE_HOME", "relative/state")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_database_url() == f"sqlite:///{tmp_path}/home/.local/state/itdd-cds/itdd-cds.db"


def test_database_url_overrides_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CDS_DATABASE_URL", "sqlite:////srv/cds/audit.db")
    assert Settings.from_env().database_url == "sqlite:////srv/cds/audit.db"


# --- serve and replay keep what the user set --------------------------------------------


def _secured_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CDS_JWT_REQUIRED", "true")
    monkeypatch.setenv("CDS_FHIR_SERVER_ALLOWLIST", "https://ehr.example.org/fhir")
    monkeypatch.setenv("CDS_DATABASE_URL", "sqlite:////srv/cds/audit.db")
    monkeypatch.setenv("CDS_FHIR_READ_TIMEOUT", "2.5")


def test_serve_policy_replaces_only_the_policy(monkeypatch: pytest.MonkeyPatch) -> None:
    _secured_env(monkeypatch)
    settings = serve_settings("strict")
    assert settings.policy_override == "strict"
    assert settings.jwt_required
    assert settings.fhir_server_allowlist == ("https://ehr.example.org/fhir",)
    assert settings.database_url == "sqlite:////srv/cds/audit.db"
    assert settings.fhir_read_timeout == 2.5
    assert serve_settings(None) == Settings.from_env()


def test_replay_keeps_the_environment_except_where_documented(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _secured_env(monkeypatch)
    monkeypatch.setenv("CDS_POLICY", "strict")
    settings = replay_settings(None, None)
    assert settings.policy_override == "strict"  # CDS_POLICY applies without --policy
    assert settings.fhir_server_allowlist == ("https://ehr.example.org/fhir",)
    assert settings.fhir_read_timeout == 2.5
    # On purpose: no audit row in the served database, no JWT for an in-process call.
    assert settings.database_url == "sqlite://"
    assert not settings.jwt_required
    assert settings.log_level == "ERROR"
    assert replay_settings(None, "continuation").policy_override == "continuation"
    monkeypatch.setenv("CDS_LOG_LEVEL", "debug")
    assert replay_settings(None, None).log_level == "DEBUG"


# --- one line on stderr, for every command ----------------------------------------------


def _run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cds_service", *args],
        capture_output=True,
        text=True,
        timeout=60,  # a serve that wrongly starts is stopped here and fails the test
        check=False,
        env=env,
        cwd=cwd,
    )


def _commands() -> dict[str, list[str]]:
    return {
        "serve": ["serve", "--port", str(free_port()), "--workers", "1"],
        "audit": ["audit"],
        "replay": [
            "replay",
            str(FIXTURES / "s1-implant-spondylosis.json"),
            "--as-of",
            "2026-11-21",
        ],
    }


BAD_SETTINGS = [
    ("CDS_LOG_LEVEL", "LOUD"),
    ("CDS_DATABASE_URL", "foo://x"),
    ("CDS_DATABASE_URL", UNREACHABLE),
    ("CDS_DATABASE_URL", MISSING_DIR),
]
# replay never opens the served database (see replay_settings): a syntactically good URL
# of a server that is down, or of a missing directory, does not stop a replay.
REPLAY_IGNORES = {UNREACHABLE, MISSING_DIR}
CASES = [
    pytest.param(command, name, value, id=f"{command}-{value}")
    for command in ("serve", "audit", "replay")
    for name, value in BAD_SETTINGS
    if not (command == "replay" and value in REPLAY_IGNORES)
]


@pytest.mark.parametrize(("command", "name", "value"), CASES)
def test_bad_setting_is_one_line_and_a_non_zero_exit(
    command: str, name: str, value: str, tmp_path: Path
) -> None:
    env = {**os.environ, name: value}
    done = _run(_commands()[command], env, tmp_path)
    lines = done.stderr.strip().splitlines()
    assert done.returncode != 0
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("error: configuration: ") and name in lines[0]
    assert "Traceback" not in done.stderr and "secretpw" not in done.stderr
    assert not Path("/nonexistent").exists()


@pytest.mark.parametrize("value", sorted(REPLAY_IGNORES))
def test_replay_does_not_open_the_database(value: str, tmp_path: Path) -> None:
    done = _run(_commands()["replay"], {**os.environ, "CDS_DATABASE_URL": value}, tmp_path)
    assert done.returncode == 0, done.stderr
    assert '"cards"' in done.stdout


def test_audit_refuses_a_default_database_that_does_not_exist(tmp_path: Path) -> None:
    done = _run(["audit"], dict(os.environ), tmp_path)
    default = tmp_path / "state" / "itdd-cds" / "itdd-cds.db"
    [line] = done.stderr.strip().splitlines()
    assert done.returncode != 0 and done.stdout == ""
    assert "CDS_DATABASE_URL" in line and str(default) in line
    assert not default.exists() and not default.parent.exists()
    assert list(tmp_path.iterdir()) == []  # nothing created in the working directory either


def test_audit_refuses_a_named_database_that_does_not_exist(tmp_path: Path) -> None:
    missing = tmp_path / "typo.db"
    done = _run(["audit", "--database-url", f"sqlite:///{missing}"], dict(os.environ), tmp_path)
    [line] = done.stderr.strip().splitlines()
    assert done.returncode != 0
    assert "--database-url" in line and str(missing) in line
    assert not missing.exists()


def test_serve_socket_in_a_missing_directory_is_one_line(tmp_path: Path) -> None:
    done = _run(["serve", "--socket", "/nonexistent/dir/cds.sock"], dict(os.environ), tmp_path)
    [line] = done.stderr.strip().splitlines()
    assert done.returncode != 0
    assert line == "error: configuration: --socket: directory /nonexistent/dir does not exist"
