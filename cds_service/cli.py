"""Command line: ``serve`` the HTTP service, ``replay`` a fixture through it.

Every failure a user can cause ends as one line on stderr and a non-zero exit,
never a traceback.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from cds_service.config import Settings
from cds_service.errors import ConfigurationError

EXIT_USAGE, EXIT_INPUT, EXIT_SERVICE = 2, 3, 4
# The note corpus by round: tuned on (train), earlier held-out sets measured once and tuned on
# since (dev, dev-r2 to dev-r24: rounds 1 to 24; dev-r25: round 25, French and bilingual
# notes; dev-r26 to dev-r28: rounds 26 to 28), and the current held-out set (test: round 29).
CORPUS_SPLITS = (
    "train",
    "dev",
    "dev-r2",
    "dev-r3",
    "dev-r4",
    "dev-r5",
    "dev-r6",
    "dev-r7",
    "dev-r8",
    "dev-r9",
    "dev-r10",
    "dev-r11",
    "dev-r12",
    "dev-r13",
    "dev-r14",
    "dev-r15",
    "dev-r16",
    "dev-r17",
    "dev-r18",
    "dev-r19",
    "dev-r20",
    "dev-r21",
    "dev-r22",
    "dev-r23",
    "dev-r24",
    "dev-r25",
    "dev-r26",
    "dev-r27",
    "dev-r28",
    "test",
)
PARTIAL_PREFETCH_KEYS = ("patient", "conditions")


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from exc


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m cds_service",
        description="Intrathecal drug delivery medical-necessity CDS Hooks service",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the HTTP service (gunicorn)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8080)
    serve.add_argument("--workers", type=int, default=2)
    serve.add_argument(
        "--socket",
        metavar="PATH",
        help="listen on this unix socket instead of --host/--port (behind a reverse proxy)",
    )
    serve.add_argument(
        "--policy",
        help="policy preset for every service (default: $CDS_POLICY, else each service's own)",
    )

    replay = commands.add_parser("replay", help="replay a patient Bundle or a hook request JSON")
    replay.add_argument("path", type=Path)
    replay.add_argument(
        "--hook",
        choices=("order-sign", "order-select"),
        help="hook to call (default: order-sign, or the hook named in a request JSON)",
    )
    replay.add_argument("--as-of", type=_date, help="evaluation date YYYY-MM-DD (default: today)")
    replay.add_argument("--policy", help="policy preset name or policy JSON file")
    replay.add_argument(
        "--fhir-server",
        metavar="URL",
        help="send fhirServer=URL so the service reads the record itself",
    )
    replay.add_argument(
        "--prefetch",
        choices=("full", "partial", "none"),
        help="prefetch to send (default: full, or none with --fhir-server); partial sends "
        f"only {', '.join(PARTIAL_PREFETCH_KEYS)}",
    )
    replay.add_argument(
        "--fhir-token",
        metavar="TOKEN",
        help="bearer token for --fhir-server (default: $CDS_FHIR_TOKEN, else none)",
    )

    audit = commands.add_parser("audit", help="list the evaluation audit trail (JSON lines)")
    audit.add_argument("--since", type=_date, help="only evaluations on or after YYYY-MM-DD")
    audit.add_argument(
        "--database-url",
        help="database URL (default: $CDS_DATABASE_URL, else the SQLite file serve writes: "
        "$XDG_STATE_HOME/itdd-cds/itdd-cds.db or ~/.local/state/itdd-cds/itdd-cds.db); "
        "a SQLite file that does not exist is an error, never created",
    )

    load = commands.add_parser(
        "load", help="load fixture bundles into a FHIR server (transaction, PUT)"
    )
    load.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    load.add_argument("--fhir-server", metavar="URL", required=True)
    load.add_argument(
        "--fhir-token", metavar="TOKEN", help="bearer token (default: $CDS_FHIR_TOKEN)"
    )

    notes = commands.add_parser(
        "notes-eval", help="sensitivity and specificity of the note reader on a labeled corpus"
    )
    notes.add_argument(
        "--corpus",
        type=Path,
        default=Path(__file__).resolve().parent.parent / "tests" / "data" / "notes",
        help="folder with the train, dev, dev-r2 to dev-r28 and test .jsonl files "
        "(default: the repository's)",
    )
    notes.add_argument(
        "--split",
        choices=(*CORPUS_SPLITS, "all"),
        default="all",
        help="which split to report (test is the held-out one)",
    )
    notes.add_argument(
        "--rules-only",
        action="store_true",
        help="read without the safety screen (to see what the rules alone catch)",
    )
    notes.add_argument(
        "--show-errors", action="store_true", help="list the ids of misses and false alarms"
    )

    build = commands.add_parser(
        "request", help="print the CDS Hooks request replay would send (for curl)"
    )
    build.add_argument("path", type=Path)
    build.add_argument("--hook", choices=("order-sign", "order-select"), default="order-sign")
    return parser


def _fail(message: str, code: int) -> int:
    print(f"error: {message}", file=sys.stderr)
    return code


def serve_settings(policy: str | None) -> Settings:
    """The environment's settings, with only the policy replaced by ``--policy``.

    Building Settings from scratch here once dropped CDS_JWT_REQUIRED, the FHIR server
    allowlist and the database (an in-memory one, lost at the fork: every hook a 503).
    """
    settings = Settings.from_env()
    return settings if policy is None else replace(settings, policy_override=policy)


def _bind_address(args: argparse.Namespace) -> str:
    """gunicorn's bind; a socket in a missing directory is one line, not five bind retries."""
    if not args.socket:
        return f"{args.host}:{args.port}"
    if not Path(args.socket).parent.is_dir():
        raise ConfigurationError(f"--socket: directory {Path(args.socket).parent} does not exist")
    return f"unix:{args.socket}"


def _serve(args: argparse.Namespace) -> int:
    from gunicorn.app.base import BaseApplication

    from cds_service.app import create_app

    bind = _bind_address(args)
    # Built before gunicorn starts, inside main()'s ConfigurationError handler: a bad setting
    # is one line on stderr, not a traceback from a forked worker.
    app = create_app(serve_settings(args.policy))

    class Server(BaseApplication):
        def load_config(self) -> None:
            self.cfg.set("bind", bind)
            self.cfg.set("workers", args.workers)
            self.cfg.set("threads", 4)
            self.cfg.set("timeout", 30)
            self.cfg.set("accesslog", None)
            self.cfg.set("post_fork", _fresh_connections)

        def load(self) -> Any:
            return app

    def _fresh_connections(_server: Any, _worker: Any) -> None:
        # The app was built before the fork: never share its pooled database connections
        # (or their file descriptors) between worker processes.
        app.extensions["hook_handler"].storage.engine.dispose(close=False)

    Server().run()
    return 0


def replay_settings(as_of: dt.date | None, policy: str | None) -> Settings:
    """The environment's settings, changed only where replay needs it, each for a reason.

    - ``as_of``: the evaluation date given on the command line (fixtures are dated).
    - ``policy``: ``--policy`` wins over CDS_POLICY, which still applies without it.
    - the database is in memory: a replay is not a clinical decision and must not enter
      the audit trail (or the feedback and JWT tables) of the served database.
    - no client JWT: the call goes straight into the app, in this process; the JWT guards
      the network, and no EHR is calling.
    - ``allow_http_localhost``: the user named --fhir-server on the command line.
    - log level ERROR unless CDS_LOG_LEVEL is set: stdout is the response and stderr the
      one error line, so routine log lines would only get in the way.

    The FHIR server allowlist, timeouts, page and body limits are kept as set.
    """
    settings = Settings.from_env()
    return replace(
        settings,
        as_of=as_of,
        policy_override=policy or settings.policy_override,
        database_url="sqlite://",
        jwt_required=False,
        allow_http_localhost=True,
        log_level=settings.log_level if os.environ.get("CDS_LOG_LEVEL") else "ERROR",
    )


def replay_request(args: argparse.Namespace) -> tuple[int, dict[str, Any]]:
    """Run the replay through the app; returns (HTTP status, response body)."""
    from cds_service.app import create_app
    from cds_service.replay import ReplayInputError, load_json_file, request_from_bundle

    document = load_json_file(args.path)
    if not isinstance(document, dict):
        raise ReplayInputError(f"{args.path}: expected a FHIR Bundle or a CDS Hooks request object")
    app = create_app(replay_settings(args.as_of, args.policy))
    handler = app.extensions["hook_handler"]
    is_bundle = document.get("resourceType") == "Bundle"
    if not is_bundle and not ("hook" in document and "context" in document):
        raise ReplayInputError(f"{args.path}: neither a FHIR Bundle nor a CDS Hooks request")
    hook = args.hook or ("order-sign" if is_bundle else str(document["hook"]))
    service = next((s for s in handler.services.values() if s.hook == hook), None)
    if service is None:
        raise ReplayInputError(f"no service answers the {hook!r} hook")
    if is_bundle:
        mode = args.prefetch or ("none" if args.fhir_server else "full")
        keys = {"full": None, "none": set(), "partial": set(PARTIAL_PREFETCH_KEYS)}[mode]
        if mode != "full" and not args.fhir_server:
            raise ReplayInputError(f"--prefetch {mode} needs --fhir-server to read the rest from")
        request = request_from_bundle(document, hook, service.prefetch, keys)
        if args.fhir_server:
            _point_at_server(
                request, args.fhir_server, args.fhir_token or os.environ.get("CDS_FHIR_TOKEN")
            )
        if hook == "order-select" and not request["context"]["draftOrders"]["entry"]:
            raise ReplayInputError("order-select needs at least one draft order in the Bundle")
    else:
        request = {**document, "hook": hook}
    response = app.test_client().post(f"/cds-services/{service.id}", json=request)
    return response.status_code, response.get_json()


def _print_request(args: argparse.Namespace) -> int:
    from cds_service.hook_handler import load_services
    from cds_service.replay import ReplayInputError, load_json_file, request_from_bundle

    try:
        bundle = load_json_file(args.path)
        if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
            raise ReplayInputError(f"{args.path}: not a FHIR Bundle")
        service = next(s for s in load_services().values() if s.hook == args.hook)
        request = request_from_bundle(bundle, args.hook, service.prefetch)
    except ReplayInputError as exc:
        return _fail(str(exc), EXIT_INPUT)
    print(json.dumps(request, indent=2, ensure_ascii=False))
    return 0


def _point_at_server(request: dict[str, Any], server: str, token: str | None) -> None:
    from cds_service.replay import fhir_authorization

    request["fhirServer"] = server
    if token:
        request["fhirAuthorization"] = fhir_authorization(token, "itdd-cds-replay")


def _audit(args: argparse.Namespace) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from cds_service.storage import Storage

    url = args.database_url or Settings.from_env().database_url
    setting = "--database-url" if args.database_url else "CDS_DATABASE_URL"
    # A read must never create: an empty new database would print nothing and exit 0.
    storage = Storage(url, create=False, setting=setting)
    try:
        since = dt.datetime.combine(args.since, dt.time(), dt.UTC) if args.since else None
        for record in storage.audit_trail(since):
            print(json.dumps(record.as_json()))
    except SQLAlchemyError as exc:
        return _fail(f"cannot read the audit trail ({type(exc).__name__})", EXIT_SERVICE)
    finally:
        storage.close()
    return 0


def _load(args: argparse.Namespace) -> int:
    from cds_service.fhir_loader import LoadError, load_bundle
    from cds_service.replay import ReplayInputError, load_json_file

    token = args.fhir_token or os.environ.get("CDS_FHIR_TOKEN")
    for path in args.paths:
        try:
            result = load_bundle(load_json_file(path), args.fhir_server, token=token)
        except ReplayInputError as exc:
            return _fail(str(exc), EXIT_INPUT)
        except LoadError as exc:
            for line in exc.lines:
                print(f"error: {path.name}: {line}", file=sys.stderr)
            return EXIT_SERVICE
        print(f"{path.name} -> {args.fhir_server}")
        for resource_type, counts in sorted(result.by_type.items()):
            print(_count_line(resource_type, counts))
        print(_count_line("total", result.total()))
    return 0


def _count_line(label: str, counts: Any) -> str:
    total = sum(counts.values())
    return (
        f"  {label:<20}{total:>4}  (created {counts['created']}, updated {counts['updated']}, "
        f"unchanged {counts['unchanged']})"
    )


def _replay(args: argparse.Namespace) -> int:
    from cds_service.replay import ReplayInputError

    try:
        status, body = replay_request(args)
    except ReplayInputError as exc:
        return _fail(str(exc), EXIT_INPUT)
    if status != 200:
        issues = (body or {}).get("issue") or [{}]
        return _fail(
            f"HTTP {status}: {issues[0].get('diagnostics', 'request failed')}", EXIT_SERVICE
        )
    print(json.dumps(body, indent=2, ensure_ascii=False))
    return 0


def _notes_eval(args: argparse.Namespace) -> int:
    """Read every corpus note as a hook would; print the per-concept table and unsafe outcomes."""
    from cds_service import notes_eval
    from cds_service.clinical_nlp import NoteReader, default_note_reader, load_note_concepts
    from cds_service.hook_handler import HookHandler
    from cds_service.replay import request_from_bundle

    splits = CORPUS_SPLITS if args.split == "all" else (args.split,)
    corpora = {}
    for split in splits:
        path = args.corpus / f"{split}.jsonl"
        if not path.is_file():
            return _fail(f"no corpus file {path}", EXIT_INPUT)
        try:
            corpora[split] = notes_eval.load_corpus(path)
        except (ValueError, KeyError) as exc:
            return _fail(f"{path} is not a JSON Lines corpus ({exc})", EXIT_INPUT)
    handler = HookHandler(replace(Settings(), as_of=notes_eval.EVAL_AS_OF))
    service = handler.services["itdd-order-sign"]
    fixtures = Path(__file__).resolve().parent.parent / "fhir_fixtures"
    if not (fixtures / "implant-criteria-met.json").is_file():
        return _fail(f"notes-eval needs the repository's fixtures in {fixtures}", EXIT_INPUT)

    def run_bundle(bundle: dict[str, Any]) -> set[str]:
        request = request_from_bundle(bundle, "order-sign", service.prefetch)
        cards = handler.handle(service.id, request)["cards"]
        return {card["source"]["topic"]["code"] for card in cards}

    def load_bundle(name: str) -> dict[str, Any]:
        return dict(json.loads((fixtures / name).read_text(encoding="utf-8")))

    reader = default_note_reader()
    if args.rules_only:
        concepts = {k: v for k, v in load_note_concepts().items() if k != "screen"}
        reader = handler.note_reader = NoteReader(concepts)
    tallies = {split: notes_eval.tally(reader, notes) for split, notes in corpora.items()}
    unsafe = {
        split: notes_eval.unsafe_outcomes(notes, run_bundle, load_bundle)
        for split, notes in corpora.items()
    }
    print(notes_eval.report(tallies, unsafe))
    if args.show_errors:
        for split, by_concept in tallies.items():
            for concept, tally in by_concept.items():
                if tally.misses or tally.false_alarms:
                    print(f"{split} {concept}: misses {tally.misses}; false {tally.false_alarms}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "serve":
            return _serve(args)
        if args.command == "request":
            return _print_request(args)
        if args.command == "load":
            return _load(args)
        if args.command == "audit":
            return _audit(args)
        if args.command == "notes-eval":
            return _notes_eval(args)
        return _replay(args)
    except ConfigurationError as exc:
        # One line even if a message (e.g. a driver's) spans several.
        return _fail(f"configuration: {' '.join(str(exc).split())}", EXIT_USAGE)
    except BrokenPipeError:
        # The reader (e.g. `| head`) went away; stop quietly like other Unix tools.
        sys.stderr.close()
        return 0
