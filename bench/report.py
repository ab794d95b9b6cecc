"""BENCHMARKS.md from the newest full and quick results in bench/results/."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TARGETS = """Targets (issue 7), at 1M businesses / 10M reviews on 2 cores: Q1 throughput at least
PostGraphile's with p99 no worse; every read p95 under 50 ms at 20 clients; writes p99 under
100 ms; 5,000 subscribers with commit-to-client p99 under 250 ms and 0 lost events."""


def _ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:.2f}" if a and b else "-"


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"


def section(results: dict[str, Any], name: str) -> str:
    data, box = results["dataset"], results["machine"]
    lines = [
        f"## {'Quick run' if results['quick'] else 'Full run'}: {results['started']} ([{name}](bench/results/{name}))",
        "",
        f"Data set: {data['businesses']:,} businesses, {data['business_reviews']:,} reviews, {data['users']:,} users, "
        f"{data['review_responses']:,} owner responses, {data['view_events']:,} view events. "
        f"Machine: {box['cores']} cores ({box['cpu']}), {box['memory_gib']} GiB; {results['database'].split(',')[0]}; "
        "**shared machine**: other work may run on the same cores at the same time, so one run's figures are not exact.",
        f"Each load: {results['plan']['seconds']} s per scenario and concurrency with autocannon; one server process "
        "each (this server: uvicorn, pool of 10; PostGraphile 5: Node 22, pool of 10, requests as the same "
        "`gql_anonymous` role under the same row-level security); the SQL limit replays this server's own "
        "statements for the scenario with asyncpg (pool of 10), writes with ROLLBACK instead of COMMIT.",
        "",
        "| scenario | clients | req/s | p50 ms | p95 ms | p99 ms | errors | server CPU | peak RSS MB | DB CPU "
        "| PostGraphile req/s | PG p99 ms | vs PG | SQL limit req/s | SQL p95 ms | vs SQL |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for key, scenario in results["scenarios"].items():
        for clients, run in scenario["runs"].items():
            ours, peer, limit = run.get("server", {}), run.get("postgraphile", {}), run.get("sql_limit", {})
            errors = (ours.get("non_2xx", 0) or 0) + (ours.get("graphql_errors", 0) or 0) + (ours.get("socket_errors", 0) or 0)
            lines.append(
                f"| {key} {scenario['title']} | {clients} | {ours.get('requests_per_second', '-')} | "
                f"{_ms(ours.get('p50_ms'))} | {_ms(ours.get('p95_ms'))} | {_ms(ours.get('p99_ms'))} | {errors} | "
                f"{ours.get('server_cpu_cores', '-')} | {ours.get('server_peak_rss_mb', '-')} | "
                f"{ours.get('database_cpu_cores', '-')} | {peer.get('requests_per_second', '-')} | "
                f"{_ms(peer.get('p99_ms'))} | {_ratio(ours.get('requests_per_second'), peer.get('requests_per_second'))} | "
                f"{limit.get('requests_per_second', '-')} | {_ms(limit.get('p95_ms'))} | "
                f"{_ratio(ours.get('requests_per_second'), limit.get('requests_per_second'))} |")
    lines += ["", "CPU columns are cores busy on average (1.0 = one core). \"vs\" = this server's req/s divided "
              "by the peer's.", "", "| S1 subscribers | events | delivered | lost | duplicated | p50 ms | p99 ms "
              "| max ms | server CPU | peak RSS MB | CPU us/message | KB/idle subscriber | edit p99 ms alone / fed "
              "| slowest event / median |", "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for f in results["fanout"]:
        if "error" in f:
            lines.append(f"| {f['subscribers']:,} |" + " - |" * 13)
            lines.append(f"\n{f['subscribers']:,} subscribers: {f['error']}.\n")
            continue
        edits = (f"{_ms(f['mutation_p99_ms_alone'])} / {_ms(f['mutation_p99_ms_fed'])}"
                 if "mutation_p99_ms_fed" in f else "-")
        lines.append(f"| {f['subscribers']:,} | {f['events']} | {f['delivered']:,} | {f['lost']} | {f['duplicated']} | "
                     f"{_ms(f['p50_ms'])} | {_ms(f['p99_ms'])} | {_ms(f['max_ms'])} | {f['server_cpu_cores']} | "
                     f"{f['server_peak_rss_mb']} | {f.get('cpu_us_per_message', '-')} | "
                     f"{f.get('rss_kb_per_idle_subscriber', '-')} | {edits} | {f.get('slowest_event_vs_median', '-')} |")
    if results.get("notes"):
        lines += ["", "Notes on this run:", *(f"- {note}" for note in results["notes"])]
    build = results.get("dataset_build", {}).get("dataset", {})
    if build.get("rows"):
        lines += ["", f"Data set built in this run: {build['rows']:,} rows in {build['seconds']} s "
                  f"({build['rows_per_second']:,} rows/s)."]
    return "\n".join(lines) + "\n"


def newest(results_dir: Path, quick: bool, count: int = 1) -> list[Path]:
    """The newest `count` result files of a kind, newest first (names sort by start time)."""
    files = sorted(p for p in results_dir.glob("*.json") if p.stem.endswith("-quick") == quick)
    return files[::-1][:count]


def write_markdown(_latest: dict[str, Any], path: Path) -> None:
    parts = ["# Benchmarks", "", "Made by `python -m bench run` (full) and `python -m bench run --quick`; "
             "numbers, not adjectives. Regenerated from the newest result files on every run: the "
             "newest full run, the full run before it, and the newest quick run.", "", TARGETS, ""]
    shown = [*newest(path.parent, quick=False, count=2), *newest(path.parent, quick=True)]
    for found in shown:
        parts.append(section(json.loads(found.read_text()), found.name))
    (ROOT / "BENCHMARKS.md").write_text("\n".join(parts))
