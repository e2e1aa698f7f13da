"""/metrics as Prometheus reads it: after a real drain by the daemon on the simulator, prometheus_client's own
parser reads the page, the histograms have counted every submit, the first submits and the alert, and every
metric the Grafana dashboard and docs/metrics.md name is there."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from typer.testing import CliRunner

from gateway.cli import app
from simulator.testing import running_simulator
from tests.test_daemon import daemon, states, wait_for, write_config

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "members-sample.csv"


def scrape(port: int) -> dict[str, object]:
    text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
    return {family.name: family for family in text_string_to_metric_families(text)}


def healthy(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200
    except httpx.HTTPError:
        return False


def value(family: object, suffix: str, **labels: str) -> float:
    return sum(
        s.value
        for s in family.samples  # type: ignore[attr-defined]
        if s.name.endswith(suffix) and all(s.labels.get(k) == v for k, v in labels.items())
    )


def test_metrics_after_a_drain_parse_with_histograms(tmp_path: Path) -> None:
    db, config, log = tmp_path / "gateway.db", tmp_path / "gateway.toml", tmp_path / "daemon.log"
    with running_simulator(
        tmp_path, modems=2, fast=False, submit_delay=0.01, submit_jitter=0.0, cmms_delay=0.01
    ) as sim:
        write_config(config, db, [m.device_path for m in sim.modems])
        text = config.read_text(encoding="utf-8").replace("[http]\n", "[http]\nrequire_tokens = false\n")
        config.write_text(text, encoding="utf-8")
        port = int(re.search(r"port = (\d+)", text)[1])  # type: ignore[index]
        runner = CliRunner()
        for args in (["db", "upgrade"], ["members", "import", str(SAMPLE), "--operator", "ccism"]):
            result = runner.invoke(app, [*args, "--config", str(config)])
            assert result.exit_code == 0, result.output
        with daemon(config, log):
            wait_for(lambda: healthy(port), 60, "the API")
            sent = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "gateway.cli",
                    "alert",
                    "send",
                    "--zone",
                    "marigot",
                    "--fr",
                    "Vol signalé",
                    "--yes",
                    "--json",
                    "-c",
                    str(config),
                ],
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
            assert sent.returncode == 0, sent.stderr
            numbers = json.loads(sent.stdout)["numbers"]
            assert numbers > 10
            wait_for(lambda: states(db).get("queued", 0) + states(db).get("sending", 0) == 0, 120, "the drain")
            families = scrape(port)

    submits = families["vigicommerce_submit_seconds"]
    assert submits.type == "histogram"
    sent_count = value(submits, "_count", outcome="sent")
    assert sent_count >= numbers
    assert value(families["vigicommerce_submits"], "_total", outcome="sent") == sent_count
    first = families["vigicommerce_commit_to_first_submit_seconds"]
    assert first.type == "histogram" and value(first, "_count", priority="alert") >= numbers
    completion = families["vigicommerce_alert_completion_seconds"]
    assert completion.type == "histogram" and value(completion, "_count") == 1
    # Buckets are cumulative and end with +Inf = count.
    assert value(completion, "_bucket", le="+Inf") == 1
    assert value(families["vigicommerce_outbox_messages"], "", state="queued", priority="alert") == 0
    assert value(families["vigicommerce_modem_up"], "") == 2
    assert value(families["process_resident_memory_bytes"], "") > 0

    # Every metric the dashboard queries and the documentation names is on the page.
    dashboard = (ROOT / "docs" / "grafana-dashboard.json").read_text(encoding="utf-8")
    documented = (ROOT / "docs" / "metrics.md").read_text(encoding="utf-8")
    names = set(re.findall(r"\b((?:vigicommerce|process)_[a-z_]+)", dashboard + documented))
    exposed = {s.name for f in families.values() for s in f.samples}  # type: ignore[attr-defined]
    # A counter with no sample yet (no error so far) still has its family (HELP and TYPE lines).
    missing = {n for n in names if n not in exposed and n.removesuffix("_total") not in families}
    assert not missing, missing
    # And every gateway metric on the page is documented.
    undocumented = {f for f in families if f.startswith("vigicommerce_") and f not in documented}
    assert not undocumented, undocumented
