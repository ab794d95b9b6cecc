"""The alert rules and the dashboard (ops/): valid for Prometheus, firing at the seed's
thresholds (promtool, from Debian's prometheus package, which .ci/run installs), and naming
only metrics the server exposes."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.support import GraphQLClient

OPS = Path(__file__).resolve().parent.parent / "ops"
RULES = OPS / "prometheus" / "alerts.yml"
DASHBOARD = OPS / "grafana" / "directory-gql.json"
SERIES_SUFFIXES = ("_bucket", "_count", "_sum")
REPLICA_ONLY = {"gql_replica_lag_seconds", "gql_replica_in_rotation"}  # (test_replica.py)


def promtool() -> str:
    found = shutil.which("promtool")
    if found is None:
        pytest.skip("promtool is not installed (.ci/run installs Debian's prometheus package)")
    return found


def test_the_rules_are_valid() -> None:
    checked = subprocess.run([promtool(), "check", "rules", str(RULES)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_rules_fire_at_the_thresholds_and_not_below() -> None:
    tested = subprocess.run([promtool(), "test", "rules", "alerts.test.yml"], cwd=RULES.parent,
                            capture_output=True, text=True)
    assert tested.returncode == 0, tested.stdout + tested.stderr


def named_metrics(text: str) -> set[str]:
    names = set()
    for name in re.findall(r"\bgql_[a-z_]+", text):
        for suffix in SERIES_SUFFIXES:
            name = name.removesuffix(suffix)
        names.add(name)
    return names


async def test_rules_and_dashboard_name_only_metrics_the_server_exposes(client: GraphQLClient) -> None:
    exposed = set()
    for family in text_string_to_metric_families((await client.http.get("/metrics")).text):
        exposed.add(family.name)
        exposed.add(family.name + "_total" if family.type == "counter" else family.name)
    dashboard = json.loads(DASHBOARD.read_text())
    expressions = " ".join(target["expr"] for panel in dashboard["panels"] for target in panel["targets"])
    for source, text in (("alerts.yml", RULES.read_text()), ("dashboard", expressions)):
        unknown = named_metrics(text) - exposed - REPLICA_ONLY
        assert not unknown, f"{source} names metrics /metrics does not expose: {sorted(unknown)}"
    assert len(dashboard["panels"]) >= 10 and dashboard["__inputs"][0]["pluginId"] == "prometheus"
