"""The Prometheus alert rules in deploy/prometheus/: well formed, and about metrics a node really serves.

PromQL is parsed with `promql-parser` (the Rust parser Prometheus-compatible databases use),
so the suite checks the rules without promtool; where promtool is installed (`make
promtool`) it checks them too and runs their unit tests (alerts_test.yml).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import promql_parser
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

RULES_DIR = Path(__file__).resolve().parents[2] / "deploy" / "prometheus"
RULES = RULES_DIR / "alerts.yml"
SEVERITIES = {"warning", "critical"}
PROMETHEUS_OWN = {"up"}  # series Prometheus makes itself for every scrape target


def rules() -> list[dict[str, Any]]:
    return [rule for group in yaml.safe_load(RULES.read_text())["groups"] for rule in group["rules"]]


def metric_names(expr: str) -> set[str]:
    """The metric names an expression selects."""
    names: set[str] = set()

    def visit(node: Any) -> None:
        if isinstance(node, promql_parser.VectorSelector) and node.name:
            names.add(node.name)

    promql_parser.walk(promql_parser.parse(expr), pre_visit=visit)
    return names


def served(text: str) -> set[str]:
    """Every sample name in a Prometheus text exposition."""
    return {sample.name for family in text_string_to_metric_families(text) for sample in family.samples}


@pytest.mark.parametrize("rule", rules(), ids=lambda rule: rule["alert"])
def test_every_rule_has_a_severity_a_summary_and_a_valid_expression(rule: dict[str, Any]) -> None:
    assert rule["labels"]["severity"] in SEVERITIES
    assert rule["annotations"]["summary"]
    assert metric_names(rule["expr"])
    if "for" in rule:
        promql_parser.parse_duration(rule["for"])


def test_every_alert_is_named_once() -> None:
    names = [rule["alert"] for rule in rules()]
    assert len(names) == len(set(names))


async def test_every_metric_a_rule_names_is_served_by_a_node(client) -> None:
    exposed = served((await client.get("/metrics")).text)
    named = {name for rule in rules() for name in metric_names(rule["expr"])}
    assert named - PROMETHEUS_OWN <= exposed, f"not served: {sorted(named - PROMETHEUS_OWN - exposed)}"


def test_the_rules_watch_lag_dead_letters_nats_the_store_and_strays() -> None:
    named = {name for rule in rules() for name in metric_names(rule["expr"])}
    assert {
        "ducha_projection_lag_events", "ducha_dead_letters_total", "ducha_nats_connected",
        "ducha_nats_restarts_total", "ducha_store_write_errors_total", "ducha_relay_strays_total",
        "ducha_store_position", "ducha_relay_position",
    } <= named


def promtool() -> str:
    found = shutil.which("promtool", path=str(Path(sys.executable).parent)) or shutil.which("promtool")
    if found is None:
        pytest.skip("promtool is not installed (make promtool); the rules are checked by promql-parser above")
    return found


def test_promtool_accepts_the_rules() -> None:
    subprocess.run([promtool(), "check", "rules", str(RULES)], check=True, capture_output=True)


def test_each_alert_fires_on_the_series_that_should_fire_it() -> None:
    checked = subprocess.run([promtool(), "test", "rules", "alerts_test.yml"], cwd=RULES_DIR, capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
