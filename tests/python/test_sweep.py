"""convsim.run_sweep and convsim.open_sweep: a real grid sweep run from Python merges to the bytes
`convsim sweep run` + `convsim merge` write, and reshapes to scenario x parameter x replicate with
every cell equal to its run's row; a sampled design keeps its run dimension."""

import os

import h5py
import numpy as np
import pytest

import convsim
from conftest import SCENARIOS, cli, same_bits, scenario_path, text

SWEEP = os.path.join(SCENARIOS, "sweeps", "barrier_small.yaml")  # 2 scenarios x 3 points x 3 replicates


@pytest.fixture(scope="module")
def swept(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sweep")
    calls = []
    ds = convsim.run_sweep(SWEEP, folder / "py", progress=lambda done, total: calls.append((done, total)))
    cli("sweep", "run", SWEEP, "-o", folder / "cli", "--jobs", "1", "-q")
    cli("merge", folder / "cli", "-o", folder / "cli.h5")
    return ds, folder, calls


def test_progress_counts_the_runs(swept):
    _, _, calls = swept
    assert calls == [(k, 18) for k in range(1, 19)]


def test_merged_file_is_the_clis(swept):
    _, folder, _ = swept
    assert (folder / "py" / "sweep.h5").read_bytes() == (folder / "cli.h5").read_bytes()


def test_grid_is_reshaped(swept):
    ds, folder, _ = swept
    assert ds["aggregate/output"].dims == ("scenario", "adoption.peer_effect", "replicate", "time")
    assert ds["by_sector/output"].dims == ("scenario", "adoption.peer_effect", "replicate", "time", "sector")
    assert sorted(ds.scenario.values) == ["baseline", "remove_barriers"]
    assert list(ds["adoption.peer_effect"].values) == [0.00128, 0.00256, 0.00384]
    assert list(ds.replicate.values) == [0, 1, 2]
    # Every cell is the row of the run with that scenario, parameter value and replicate.
    with h5py.File(folder / "cli.h5", "r") as f:
        scenario = f["runs/scenario"].asstr()[()]
        peer = f["runs/adoption.peer_effect"][()]
        replicate = f["runs/replicate"][()]
        index = f["run"][()]
        for row in range(len(index)):
            cell = dict(scenario=scenario[row], replicate=replicate[row])
            cell["adoption.peer_effect"] = peer[row]
            for name in ("aggregate/output", "by_sector/employment", "convergence/output", "policy/barrier"):
                assert same_bits(ds[name].sel(cell).values, f[name][row]), (name, row)
            assert int(ds["run_index"].sel(cell)) == index[row]
            assert int(ds["seed"].sel(cell)) == int(f["runs/seed"][row])
        assert ds["aggregate/output"].attrs["units"] == text(f["aggregate/output"].attrs["units"])


def test_paired_effect_from_the_grid(swept):
    ds, _, _ = swept
    final = ds["convergence/output"].isel(time=-1)
    effect = final.sel(scenario="remove_barriers") - final.sel(scenario="baseline")
    assert effect.dims == ("adoption.peer_effect", "replicate")
    assert np.isfinite(effect.values).all()


def test_without_reshape_a_run_dimension(swept):
    _, folder, _ = swept
    flat = convsim.open_sweep(folder / "cli.h5", reshape=False)
    assert flat["aggregate/output"].dims == ("run", "time")
    assert flat.sizes["run"] == 18
    assert list(flat["scenario"].values[:1]) in (["baseline"], ["remove_barriers"])


def test_a_sampled_design_keeps_runs(tmp_path):
    sweep = tmp_path / "lhs.yaml"
    sweep.write_text(
        "name: lhs_small\n"
        f"scenarios:\n  baseline: {scenario_path('korea_baseline.yaml')}\n"
        "set:\n  economy.firms: 2000\n  output.snapshot_years: []\n"
        "design:\n  type: latin_hypercube\n  n: 3\n  seed: 5\n"
        "  parameters:\n    adoption.peer_effect: {distribution: uniform, low: 0.001, high: 0.004}\n"
        "replicates: 2\nseed: 3\n")
    ds = convsim.run_sweep(sweep, progress=False)
    assert ds["aggregate/output"].dims == ("run", "time")
    assert ds.sizes["run"] == 6
    assert len(set(ds["adoption.peer_effect"].values.tolist())) == 3
    assert set(ds["replicate"].values.tolist()) == {0, 1}


def test_replicates_of_one_scenario_reshape(tmp_path):
    path = tmp_path / "base3.h5"
    cli("run", scenario_path("korea_baseline.yaml"), "--replicates", "3", "--set", "economy.firms=2000", "-q", "-o", path)
    ds = convsim.open_result(path)  # a merged layout: opened as a sweep
    assert ds["aggregate/output"].dims == ("scenario", "replicate", "time")
    with h5py.File(path, "r") as f:
        for r in range(3):
            assert same_bits(ds["aggregate/output"].isel(scenario=0, replicate=r).values, f["aggregate/output"][r])


def test_bad_sweep_and_bad_merged_file(tmp_path):
    sweep = tmp_path / "bad.yaml"
    sweep.write_text(f"name: bad\nscenarios:\n  baseline: {scenario_path('korea_baseline.yaml')}\nreplicates: -1\n")
    with pytest.raises(convsim.ScenarioError) as caught:
        convsim.run_sweep(sweep, progress=False)
    assert caught.value.file == str(sweep) and caught.value.key == "replicates" and caught.value.line == 4
    not_merged = tmp_path / "x.h5"
    with h5py.File(not_merged, "w") as f:
        f.attrs["convsim_format"] = "something-else"
    with pytest.raises(convsim.ScenarioError) as caught:
        convsim.open_sweep(not_merged)
    assert caught.value.key == "convsim_format"


def test_damaged_merged_file_is_refused(swept, tmp_path):
    _, folder, _ = swept
    damaged = tmp_path / "damaged.h5"
    data = bytearray((folder / "cli.h5").read_bytes())
    data[len(data) // 2] ^= 0x01
    damaged.write_bytes(bytes(data))
    with pytest.raises(convsim.ScenarioError, match="damaged") as caught:
        convsim.open_sweep(damaged)
    assert caught.value.file == str(damaged)


def test_missing_runs_leave_empty_cells(swept, tmp_path):
    # A merge with --allow-missing of the sweep without one run's result: that cell is NaN (and
    # run_index -1), every other cell still its run's row.
    _, folder, _ = swept
    import shutil

    copy = tmp_path / "partial"
    shutil.copytree(folder / "cli", copy)
    with h5py.File(folder / "cli.h5", "r") as f:
        identity = f["runs/identity"].asstr()[()][4]
        scenario, peer, replicate = f["runs/scenario"].asstr()[()][4], f["runs/adoption.peer_effect"][4], f["runs/replicate"][4]
    (copy / "runs" / f"{identity}.h5").unlink()
    cli("merge", copy, "-o", tmp_path / "partial.h5", "--allow-missing")
    ds = convsim.open_sweep(tmp_path / "partial.h5")
    full = convsim.open_sweep(folder / "cli.h5")
    cell = {"scenario": scenario, "adoption.peer_effect": peer, "replicate": replicate}
    assert ds.sizes == full.sizes
    assert np.isnan(ds["aggregate/output"].sel(cell).values).all()
    assert int(ds["run_index"].sel(cell)) == -1
    present = ds["run_index"] >= 0
    assert int(present.sum()) == 17
    assert same_bits(ds["by_sector/output"].where(present).values, full["by_sector/output"].where(present).values)
