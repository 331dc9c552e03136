"""`make server` serves the deployments of prefect.yaml, built from that file: every one, as it
declares it, and each flow accepts its parameters."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml

from flows import serve

PROJECT = Path(__file__).resolve().parents[2]


@pytest.fixture
def served(monkeypatch):
    monkeypatch.chdir(PROJECT)  # entry points are relative to the folder the runner starts in
    return {d.name: d for d in serve.deployments()}


def declared() -> dict[str, dict]:
    with (PROJECT / "prefect.yaml").open() as handle:
        return {d["name"]: d for d in yaml.safe_load(handle)["deployments"]}


def test_serves_every_deployment_of_prefect_yaml(served):
    assert sorted(served) == sorted(declared())


@pytest.mark.parametrize("name", sorted(declared()))
def test_each_deployment_is_served_as_declared(served, name):
    want, got = declared()[name], served[name]
    assert got.entrypoint == want["entrypoint"]
    assert got.description == want["description"]
    assert got.parameters == want.get("parameters", {})
    assert got.tags == want["tags"]
    assert got.concurrency_limit == want.get("concurrency_limit")
    assert got.work_pool_name is None  # served here: no work pool
    schedules = [s.schedule for s in got.schedules]
    assert len(schedules) == len(want.get("schedules", []))
    for schedule, wanted in zip(schedules, want.get("schedules", []), strict=True):
        if "cron" in wanted:
            assert schedule.cron == wanted["cron"]
            assert (schedule.timezone or "UTC") == wanted.get("timezone", "UTC")
        else:
            assert schedule.interval == dt.timedelta(seconds=wanted["interval"])


def test_stop_without_a_server_says_so(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(PROJECT)
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path))
    monkeypatch.setenv("DO_NOT_TRACK", "1")  # main() sets it; restored after
    serve.main(["--stop"])
    assert "No local Prefect server was running." in capsys.readouterr().out



@pytest.mark.parametrize("name", sorted(declared()))
def test_each_deployment_s_parameters_are_what_its_flow_takes(served, name):
    """A parameter the flow does not take, or a value of the wrong type, is refused here rather
    than when a run starts."""
    deployment = served[name]
    flow = getattr(__import__(deployment.entrypoint.split(":")[0].removesuffix(".py").replace("/", "."),
                              fromlist=["_"]), deployment.entrypoint.split(":")[1])
    flow.validate_parameters(declared()[name].get("parameters", {}) | (
        {"run_id": "20250101T000000Z-abcdef"} if name == "rollback" else {}
    ))


def test_the_options_of_a_deployment_reach_the_flow_as_one_typed_object():
    from enrollment_migrate.options import RunOptions
    from flows.run import run_flow

    given = declared()["migrate"]["parameters"] | {"options": {"import_date": "2025-01-15", "skip_existing": True}}
    assert run_flow.validate_parameters(given)["options"] == RunOptions(dt.date(2025, 1, 15), skip_existing=True)
