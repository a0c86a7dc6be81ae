"""bench/results.md (ratios against the goals), results.json and the latency plot."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

GOALS = {"a": 2.0, "b": 1.5, "c": 0.5}


def loglog_slope(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of log(latency) on log(size): 1.0 is linear growth."""
    xs = [math.log(x) for x, _ in points]
    ys = [math.log(y) for _, y in points]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum(
        (x - mx) ** 2 for x in xs
    )


def _verdict(ok: bool) -> str:
    return "met" if ok else "**not met**"


def write_report(results: dict[str, Any], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(results, indent=2, default=str) + "\n")
    a = {int(k): v for k, v in results["a"].items()}
    lines = [
        "# Benchmark results",
        "",
        "Produced by `bench/run` in one run; every goal is a ratio of two "
        "numbers measured in that same run, on this machine:",
        "",
    ]
    lines += [f"- {k}: {v}" for k, v in results["machine"].items()]
    lines += [
        "",
        "## a. Hook latency with full prefetch (gunicorn, 2 workers × 4 threads, loopback)",
        "",
        "| resources | request size | hook p50 / p95 / p99 (ms) | trivial p50 / p95 / p99 (ms) | "
        "p50 ratio | samples | cards |",
        "|---|---|---|---|---|---|---|",
    ]
    for size, row in sorted(a.items()):
        hook, trivial = row["hook"], row["trivial"]
        spread = " / ".join(f"{hook[q]:.1f}" for q in ("p50", "p95", "p99"))
        base = " / ".join(f"{trivial[q]:.1f}" for q in ("p50", "p95", "p99"))
        lines.append(
            f"| {size:,} | {row['bytes'] / 1024:,.0f} KiB | {spread} | {base} | "
            f"{hook['p50'] / trivial['p50']:.2f}× | {hook['n']} | {', '.join(row['topics'])} |"
        )
    ratio_500 = a[500]["hook"]["p50"] / a[500]["trivial"]["p50"]
    slope = loglog_slope([(s, a[s]["hook"]["p50"]) for s in sorted(a) if s >= 500])
    trivial_slope = loglog_slope([(s, a[s]["trivial"]["p50"]) for s in sorted(a) if s >= 500])
    lines += [
        "",
        f"- Goal: p50 at most {GOALS['a']}× the trivial endpoint at 500 resources: "
        f"**{ratio_500:.2f}×** — {_verdict(ratio_500 <= GOALS['a'])}.",
        f"- Goal: cost growing no faster than linearly: log-log slope of hook p50 over 500–20,000 "
        f"resources **{slope:.2f}** (1.0 = linear; the trivial endpoint's own slope is "
        f"{trivial_slope:.2f}) — {_verdict(slope <= 1.1)}.",
        "",
    ]
    if "b" in results:
        b = results["b"]
        slowest = b["searches"][b["slowest"]]
        ratio_b = b["hook"]["p50"] / slowest["p50"]
        lines += [
            "## b. Hook latency without prefetch (local HAPI FHIR server, 500-resource record)",
            "",
            "| search | p50 (ms) | pages |",
            "|---|---|---|",
        ]
        lines += [
            f"| {key} | {row['p50']:.1f} | {row['pages']} |" for key, row in b["searches"].items()
        ]
        lines += [
            "",
            f"- Hook p50 without prefetch: {b['hook']['p50']:.1f} ms (p95 {b['hook']['p95']:.1f}); "
            f"slowest single search ({b['slowest']}): {slowest['p50']:.1f} ms.",
            f"- Goal: at most {GOALS['b']}×: **{ratio_b:.2f}×** — "
            f"{_verdict(ratio_b <= GOALS['b'])}.",
            f"- FHIR round trips per hook call: {b['round_trips']} (searches run concurrently).",
            "",
        ]
    c = results["c"]
    ratio_c = c["hook"]["requests_per_s"] / c["trivial"]["requests_per_s"]
    lines += [
        "## c. Throughput, 8 concurrent clients, 500-resource record",
        "",
        "| endpoint | requests/s | errors |",
        "|---|---|---|",
        f"| trivial | {c['trivial']['requests_per_s']:.1f} | {c['trivial']['errors']} |",
        f"| hook | {c['hook']['requests_per_s']:.1f} | {c['hook']['errors']} |",
        "",
        f"- Goal: at least {GOALS['c']}× the trivial endpoint with zero errors: "
        f"**{ratio_c:.2f}×**, "
        f"{c['hook']['errors'] + c['trivial']['errors']} errors — "
        f"{_verdict(ratio_c >= GOALS['c'] and c['hook']['errors'] == 0)}.",
        "",
    ]
    memory = results["d"]
    lines += ["## d. Peak memory per worker (VmHWM after the 20,000-resource record)", ""]
    lines += [f"- worker {pid}: {kb / 1024:.0f} MiB" for pid, kb in memory.items()]
    lines += ["", "![latency against record size](latency.png)", ""]
    lines += GAPS
    (out / "results.md").write_text("\n".join(lines))
    _plot(a, out / "latency.png")


GAPS = [
    "## Where the time goes, and the gaps",
    "",
    "Profiled in-process (cProfile) on the 500-resource record after the optimizations below: "
    "about 70% of a hook call is fhir.resources (pydantic) validation of the ~370 resources a "
    "criterion can use (~75 µs each, against ~4 µs to parse the same JSON), ~10% medspaCy on the "
    "few notes a criterion reads, the rest facts, evaluation, schema validation and the audit "
    "write (0.4 ms). Goals (a) and (c) compare that with an endpoint that only parses JSON, so "
    "they cannot be met while every resource a decision rests on is validated as a FHIR model: "
    "the validation is what turns a malformed resource into a reported skip instead of a wrong "
    "card, and we keep it. Throughput (c) is CPU-bound on 2 cores for the same reason. The "
    "absolute numbers are far inside both limits that matter to EHRs (CDS Hooks asks for "
    "~500 ms; Da Vinci CRD allows 5 s at p90): see the 500-resource row of (a).",
    "",
    "What each optimization bought (in-process, 500 resources, median of 8 calls):",
    "",
    "| change | hook call |",
    "|---|---|",
    "| before (every note through medspaCy, every resource validated whole) | ~150–210 ms |",
    "| notes read lazily, only the notes a criterion's window reaches; only sentences with a "
    "target concept go through spaCy (ConText scope ends at the sentence) | ~170 → 115 ms |",
    "| code-set rules indexed by system with pre-normalized codes; category pre-checks before "
    "NLP | → ~115 ms (5,000 resources: 804 → 539 ms) |",
    "| resources no criterion can use skipped before validation (same code sets, test-checked "
    "to change no fact); only read elements validated; cached code matches | → 38 ms |",
    "| FHIR searches ask for 200 per page | (b): 28 → 7 round trips per call |",
    "",
    "Left for later: a per-worker cache of validated models keyed by resource id and version "
    "would remove most of the remaining cost for the repeated calls an EHR makes for one patient "
    "(order-select, then order-sign); it needs care so that the benchmark does not measure only "
    "cache hits.",
    "",
]


def _plot(a: dict[int, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = sorted(a)
    figure, axis = plt.subplots(figsize=(7, 4.5))
    for key, label in (
        ("hook", "hook (full prefetch)"),
        ("trivial", "trivial endpoint (parse only)"),
    ):
        axis.plot(sizes, [a[s][key]["p50"] for s in sizes], marker="o", label=f"{label}, p50")
        axis.fill_between(
            sizes, [a[s][key]["p50"] for s in sizes], [a[s][key]["p95"] for s in sizes], alpha=0.2
        )
    axis.set_xscale("log")
    axis.set_yscale("log")
    axis.set_xlabel("resources in the patient record")
    axis.set_ylabel("latency (ms), shaded to p95")
    axis.set_title("ITDD CDS hook latency vs record size")
    axis.grid(True, which="both", alpha=0.3)
    axis.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)
