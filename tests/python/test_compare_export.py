"""convsim.compare gives the numbers of `convsim compare --format csv`; `convsim export` writes
long-format CSV holding exactly what h5py reads from the same file, atomically, with exit code 2
and one message for bad input; convsim.plots imports without path tricks."""

import io
import os
import subprocess

import h5py
import numpy as np
import pandas as pd
import pytest

import convsim
from conftest import BINARY, cli, same_bits, scenario_path, text


@pytest.fixture(scope="module")
def replicated(tmp_path_factory):
    folder = tmp_path_factory.mktemp("compare")
    base, policy = folder / "base.h5", folder / "policy.h5"
    for scenario, path in (("korea_baseline.yaml", base), ("remove_barriers.yaml", policy)):
        cli("run", scenario_path(scenario), "--replicates", "4", "--set", "economy.firms=2000", "-q", "-o", path)
    return base, policy


def read_cli_csv(text_):
    return pd.read_csv(io.StringIO(text_), float_precision="round_trip")


@pytest.mark.parametrize("options, flags", [
    ({}, []),
    ({"variables": ["output", "employment", "firms"], "scope": "convergence", "horizon": 2015, "confidence": 0.9},
     ["--vars", "output,employment,firms", "--scope", "convergence", "--horizon", "2015", "--confidence", "0.9"]),
    ({"scope": "sector:health_care"}, ["--scope", "sector:health_care"]),
])
def test_compare_equals_the_cli(replicated, options, flags):
    base, policy = replicated
    frame = convsim.compare(base, policy, **options)
    expected = read_cli_csv(cli("compare", base, policy, "--format", "csv", *flags).stdout)
    pd.testing.assert_frame_equal(frame, expected, check_exact=True)
    assert len(frame) == 2 * len(options.get("variables", ["output", "employment"]))
    policy = frame[frame.scenario != frame.baseline]
    assert (policy.pairs == 4).all()
    assert (policy.effect_ci_low <= policy.effect).all() and (policy.effect <= policy.effect_ci_high).all()


def test_compare_bad_input(replicated, tmp_path):
    base, _ = replicated
    with pytest.raises(convsim.ScenarioError):
        convsim.compare(base, tmp_path / "absent.h5")
    with pytest.raises(convsim.ScenarioError) as caught:
        convsim.compare(base, base, scope="nowhere")
    assert caught.value.key == "--scope"
    with pytest.raises(convsim.ScenarioError) as caught:
        convsim.compare(base, base, confidence=1.5)
    assert caught.value.key == "confidence"


def series_of(f):
    """(group, variable) -> (array [run?, time(, sector)], units) for every series of a file."""
    found = {}
    for group in ("aggregate", "by_sector", "convergence", "policy"):
        for name, item in f[group].items():
            if isinstance(item, h5py.Dataset) and item.dtype.kind == "f" and name not in ("time", "run"):
                found[(group, name)] = (item[()], text(item.attrs["units"]))
    return found


def check_export(csv_path, h5_path, merged):
    table = pd.read_csv(csv_path, float_precision="round_trip", keep_default_na=False,
                        dtype={"sector": str, "time": np.float64, "value": np.float64})
    assert list(table.columns) == ["run", "scenario", "seed", "group", "variable", "time", "sector", "value", "unit"]
    with h5py.File(h5_path, "r") as f:
        time = f["time"][()]
        sectors = list(f["sector"].asstr()[()])
        runs = f["run"][()] if merged else np.array([0])
        expected_rows = 0
        for (group, name), (values, units) in series_of(f).items():
            rows = table[(table.group == group) & (table.variable == name)]
            if not merged:
                values = values[np.newaxis]
            expected_rows += values.size
            assert len(rows) == values.size, (group, name)
            assert set(rows.unit) == {units}
            for k, run in enumerate(runs):
                mine = rows[rows.run == run]
                assert same_bits(np.unique(mine.time.values), time)
                if values.ndim == 3:
                    grid = mine.pivot(index="time", columns="sector", values="value")[sectors].values
                else:
                    assert set(mine.sector) == {""}
                    grid = mine.set_index("time").loc[time, "value"].values
                assert same_bits(grid, values[k]), (group, name, run)
        assert len(table) == expected_rows
        if merged:
            scenario = dict(zip(f["run"][()], f["runs/scenario"].asstr()[()]))
            assert all(table.scenario == table.run.map(scenario))


def test_export_single_result(tmp_path):
    result = tmp_path / "run.h5"
    cli("run", scenario_path("remove_barriers.yaml"), "--set", "economy.firms=2000", "-q", "-o", result)
    out = tmp_path / "run.csv"
    done = cli("export", result, "--format", "csv", "-o", out)
    assert done.stdout == ""
    check_export(out, result, merged=False)
    # Standard output holds the same bytes.
    assert cli("export", result).stdout == out.read_text()
    assert [p.name for p in tmp_path.iterdir() if ".tmp." in p.name] == []


def test_export_merged(replicated, tmp_path):
    base, _ = replicated
    out = tmp_path / "base.csv"
    cli("export", base, "-o", out)
    check_export(out, base, merged=True)


def test_export_bad_input(replicated, tmp_path):
    base, _ = replicated
    cases = [
        (["export", base, "--format", "parquet", "-o", tmp_path / "a.csv"], "--format"),
        (["export", tmp_path / "absent.h5", "-o", tmp_path / "b.csv"], "absent.h5"),
        (["export", scenario_path("korea_baseline.yaml"), "-o", tmp_path / "c.csv"], "korea_baseline.yaml"),
        (["export", base, "-o", tmp_path / "no_folder" / "d.csv"], "does not exist"),
    ]
    for args, named in cases:
        done = cli(*args, check=False)
        assert done.returncode == 2, (args, done.stderr)
        assert named in done.stderr
        assert len(done.stderr.strip().splitlines()) == 1, done.stderr
        assert done.stdout == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_export_keeps_an_old_file_when_it_fails(replicated, tmp_path):
    out = tmp_path / "keep.csv"
    out.write_text("old\n")
    done = cli("export", tmp_path / "absent.h5", "-o", out, check=False)
    assert done.returncode == 2
    assert out.read_text() == "old\n"


def test_export_to_a_full_stdout_fails(replicated):
    base, _ = replicated
    with open("/dev/full", "w") as full:
        done = subprocess.run([BINARY, "export", base], stdout=full, stderr=subprocess.PIPE, text=True)
    assert done.returncode == 1
    assert "standard output" in done.stderr


def test_plots_is_part_of_the_package():
    import convsim.plots as plots

    assert os.path.dirname(plots.__file__) == os.path.dirname(convsim.__file__)
    assert callable(plots.compute_comparison) and callable(plots.main)
