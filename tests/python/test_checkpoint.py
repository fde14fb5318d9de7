"""Scenario.checkpoint and convsim.continue_run: a run saved at a year and continued from Python
equals the uninterrupted run bit for bit (and the CLI's continuation of the same file); a branch
continued from its trunk's checkpoint equals the branch run from the start; a branch that differs
before the checkpoint, and a damaged checkpoint, raise convsim.ScenarioError."""

import h5py
import pytest

import convsim
from conftest import SMALL, cli, same_bits, scenario_path

SETTINGS = {**SMALL, "output.snapshot_years": [1995, 2015]}


def assert_same(a, b):
    assert sorted(a.data_vars) == sorted(b.data_vars)
    for name in a.data_vars:
        assert same_bits(a[name].values, b[name].values), name
    assert a.attrs["scenario_hash"] == b.attrs["scenario_hash"]


@pytest.fixture(scope="module")
def baseline():
    return convsim.load_scenario(scenario_path("korea_baseline.yaml"), set=SETTINGS)


def test_checkpoint_and_continue_equal_the_uninterrupted_run(baseline, tmp_path):
    reference = baseline.run(threads=1, progress=False)
    path = tmp_path / "c.h5"
    assert baseline.checkpoint(2004, path, threads=2, progress=False) is None
    with h5py.File(path, "r") as f:  # a result file of the steps done, plus the state
        assert f.attrs["convsim_format"] in ("convsim-checkpoint-1", b"convsim-checkpoint-1")
        assert f["time"].shape == (14,)
        assert "state/firms/technology" in f
    assert_same(reference, convsim.continue_run(path, threads=1, progress=False))
    # finish=True saves and returns the whole run.
    assert_same(reference, baseline.checkpoint(2010, tmp_path / "d.h5", finish=True, progress=False))
    # The CLI continues the file Python wrote to the same result.
    cli("run", "--from", path, "-q", "-o", tmp_path / "cli.h5")
    assert_same(reference, convsim.open_result(tmp_path / "cli.h5"))


def test_branch_from_the_trunk_equals_the_branch_from_the_start(baseline, tmp_path):
    path = tmp_path / "trunk.h5"
    baseline.checkpoint(2011, path, progress=False)
    branch = convsim.load_scenario(scenario_path("all_levers.yaml"), set=SETTINGS)
    assert_same(branch.run(progress=False), convsim.continue_run(path, scenario=branch, progress=False))


def test_bad_branches_and_checkpoints_raise_scenario_error(baseline, tmp_path):
    path = tmp_path / "trunk.h5"
    baseline.checkpoint(2013, path, progress=False)
    branch = convsim.load_scenario(scenario_path("all_levers.yaml"), set=SETTINGS)
    with pytest.raises(convsim.ScenarioError) as caught:
        convsim.continue_run(path, scenario=branch, progress=False)
    assert caught.value.key == "policies.smart_work_programme"
    truncated = tmp_path / "truncated.h5"
    truncated.write_bytes(path.read_bytes()[:100000])
    with pytest.raises(convsim.ScenarioError) as caught:
        convsim.continue_run(truncated, progress=False)
    assert "truncated" in str(caught.value)
    with pytest.raises(convsim.ScenarioError):
        baseline.checkpoint(2013.5, tmp_path / "x.h5", progress=False)
