"""convsim.load_scenario and Scenario.run: the Dataset holds, bit for bit, what `convsim run -o`
writes; its arrays borrow the C++ buffers; the GIL is released while the economy is simulated;
bad input raises convsim.ScenarioError with file, line and key."""

import os
import signal
import sys
import threading
import time

import h5py
import numpy as np
import pytest

import convsim
from conftest import SMALL, cli, same_bits, scenario_path, text

# Firm snapshots in two years, so that /firms is compared too.
SETTINGS = {**SMALL, "output.snapshot_years": [2019, 2020], "seed": 11}


def cli_overrides(settings):
    args = []
    for key, value in settings.items():
        args += ["--set", f"{key}={convsim._yaml_value(value)}"]
    return args


@pytest.fixture(scope="module")
def cli_result(tmp_path_factory):
    path = tmp_path_factory.mktemp("run") / "policy.h5"
    cli("run", scenario_path("remove_barriers.yaml"), *cli_overrides(SETTINGS), "--threads", "1", "-q", "-o", path)
    return path


@pytest.fixture(scope="module")
def python_result():
    scenario = convsim.load_scenario(scenario_path("remove_barriers.yaml"), set=SETTINGS)
    return scenario.run(threads=2, progress=False)


def dataset_names(path):
    names = []
    with h5py.File(path, "r") as f:
        f.visititems(lambda name, item: names.append(name) if isinstance(item, h5py.Dataset) else None)
    return names


def check_against_file(ds, path):
    """Every dataset of the file equals its counterpart in `ds`; every variable of `ds` is in the file."""
    seen = set()
    with h5py.File(path, "r") as f:
        for name in dataset_names(path):
            item = f[name]
            parts = name.split("/")
            if name == "policy/events":  # the compound table: the same rows as event_fields
                table = item[()]
                for field in table.dtype.names:
                    expected = ds[f"policy/event_fields/{field}"].values
                    column = table[field]
                    if column.dtype.kind == "O":
                        assert [text(v) for v in column] == list(expected), field
                    else:
                        assert same_bits(column, expected), field
                continue
            coordinate_copy = (len(parts) == 2 and parts[0] in convsim._datasets.GROUPS and parts[1] in ("time", "sector"))
            if name in ("time", "sector", "sector_role") or coordinate_copy:
                coordinate = ds[parts[-1]].values
                if item.dtype.kind == "O":
                    assert list(item.asstr()[()]) == list(coordinate), name
                else:
                    assert same_bits(item[()], coordinate), name
                continue
            if name == "firms/time":
                assert same_bits(item[()], ds["snapshot"].values)
                continue
            if name == "firms/firm":
                assert same_bits(item[()], ds["firm"].values)
                continue
            if name.startswith("policy/event_fields/"):
                if parts[-1] == "event":
                    assert len(item) == ds.sizes.get("event", 0)
                    continue
                values = ds[name].values
                if item.dtype.kind == "O":
                    assert list(item.asstr()[()]) == list(values), name
                else:
                    assert same_bits(item[()], values), name
                seen.add(name)
                continue
            assert name in ds.data_vars, f"{name} of the file is not in the Dataset"
            assert same_bits(item[()], ds[name].values), name
            if "units" in item.attrs:
                assert ds[name].attrs["units"] == text(item.attrs["units"]), name
                assert ds[name].attrs["long_name"] == text(item.attrs["long_name"]), name
            seen.add(name)
        for key in ("scenario", "scenario_hash", "scenario_name", "title"):
            assert ds.attrs[key] == text(f.attrs[key]), key
        assert ds.attrs["seed"] == int(f.attrs["seed"])
        assert ds.attrs["steps_per_year"] == int(f.attrs["steps_per_year"])
    assert set(ds.data_vars) == seen


def test_run_equals_cli_bit_for_bit(python_result, cli_result):
    assert any(v.startswith("firms/") and v != "firms/slot_count" for v in python_result.data_vars)
    assert python_result.sizes["snapshot"] == 2
    check_against_file(python_result, cli_result)


def test_open_result_equals_the_file(cli_result):
    ds = convsim.open_result(cli_result)
    check_against_file(ds, cli_result)
    with h5py.File(cli_result, "r") as f:
        assert ds.attrs["created"] == text(f.attrs["created"])


def test_dataset_layout(python_result):
    ds = python_result
    assert ds["by_sector/output"].dims == ("time", "sector")
    assert ds["aggregate/output"].dims == ("time",)
    assert "health_care" in list(ds.sector.values)
    assert ds.time.attrs["units"] == "year"
    assert ds["aggregate/employment"].attrs["group"] == "aggregate"
    aggregate = convsim.group(ds, "aggregate")
    assert same_bits(aggregate["output"].values, ds["aggregate/output"].values)


def test_series_are_not_copied(python_result):
    # Each series is a NumPy array over the C++ result's buffer, owned through one capsule.
    owners = {id(python_result[name].variable._data.base) for name in ("aggregate/output", "by_sector/output",
                                                                        "convergence/employment")}
    assert len(owners) == 1
    owner = python_result["aggregate/output"].variable._data.base
    assert type(owner).__name__ == "PyCapsule"
    assert python_result["by_sector/output"].variable._data.flags["OWNDATA"] is False


def test_threads_do_not_change_results(python_result):
    again = convsim.load_scenario(scenario_path("remove_barriers.yaml"), set=SETTINGS).run(threads=1, progress=False)
    for name in python_result.data_vars:
        assert same_bits(again[name].values, python_result[name].values), name


def test_progress_reports_every_step():
    calls = []
    scenario = convsim.load_scenario(scenario_path("korea_baseline.yaml"), set={**SMALL, "output.snapshot_years": []})
    scenario.run(threads=1, progress=lambda done, total: calls.append((done, total)))
    assert calls == [(k, scenario.steps) for k in range(1, scenario.steps + 1)]


def test_gil_is_released_while_simulating():
    # A Python thread counts while the simulation runs in this one; the progress function records
    # the count after each step. The switch interval is set so long that Python never takes the GIL
    # from a thread by force: the counting thread runs only when the simulating thread gives the GIL
    # up itself, and gives it back at each sleep(0). So the count moves between two steps only if
    # the GIL was released while the step was simulated in C++; held through the run, it never moves.
    scenario = convsim.load_scenario(scenario_path("korea_baseline.yaml"),
                                     set={"economy.firms": 20000, "output.snapshot_years": []})
    counter = [0]
    seen = []
    stop = threading.Event()
    running = threading.Event()

    def count():
        running.set()
        while not stop.is_set():
            counter[0] += 1
            time.sleep(0)

    interval = sys.getswitchinterval()
    counting = threading.Thread(target=count)
    counting.start()
    running.wait()
    sys.setswitchinterval(1000)
    try:
        scenario.run(threads=1, progress=lambda done, total: seen.append(counter[0]))
    finally:
        sys.setswitchinterval(interval)
        stop.set()
        counting.join()
    moved = sum(1 for a, b in zip(seen, seen[1:]) if b > a)
    assert len(seen) == scenario.steps
    assert moved > (len(seen) - 1) // 2, f"the counting thread ran during {moved} of {len(seen) - 1} steps"


def test_ctrl_c_stops_a_run():
    # SIGINT from another thread (as Ctrl-C) while the run is in its steps: KeyboardInterrupt, not
    # the rest of the run.
    scenario = convsim.load_scenario(scenario_path("korea_baseline.yaml"),
                                     set={"economy.firms": 20000, "output.snapshot_years": []})
    steps = []

    def progress(done, total):
        steps.append(done)
        if done == 2:
            threading.Thread(target=os.kill, args=(os.getpid(), signal.SIGINT)).start()

    with pytest.raises(KeyboardInterrupt):
        scenario.run(threads=1, progress=progress)
    assert len(steps) < scenario.steps


def write(path, text_):
    path.write_text(text_)
    return path


def test_bad_value_in_a_file_raises_with_file_line_and_key(tmp_path):
    path = write(tmp_path / "bad.yaml",
                 f"extends: {scenario_path('korea_baseline.yaml')}\nname: bad\nsectors:\n  health_care:\n    barrier: 7\n")
    with pytest.raises(convsim.ScenarioError) as caught:
        convsim.load_scenario(path)
    error = caught.value
    assert error.file == str(path)
    assert error.line == 5
    assert error.key == "sectors.health_care.barrier"
    assert str(path) in str(error) and "sectors.health_care.barrier" in str(error)
    assert isinstance(error, ValueError)


def test_bad_override_raises_with_the_key():
    with pytest.raises(convsim.ScenarioError) as caught:
        convsim.load_scenario(scenario_path("korea_baseline.yaml"), set={"sectors.health_care.barrier": 7})
    assert caught.value.key == "sectors.health_care.barrier"
    assert caught.value.line == 0


def test_unknown_key_and_missing_file(tmp_path):
    path = write(tmp_path / "typo.yaml", f"extends: {scenario_path('korea_baseline.yaml')}\neconomy:\n  firmz: 10\n")
    with pytest.raises(convsim.ScenarioError) as caught:
        convsim.load_scenario(path)
    assert (caught.value.file, caught.value.line, caught.value.key) == (str(path), 3, "economy.firmz")
    with pytest.raises(convsim.ScenarioError) as caught:
        convsim.load_scenario(tmp_path / "absent.yaml")
    assert caught.value.file == str(tmp_path / "absent.yaml")
    with pytest.raises(convsim.ScenarioError) as caught:
        convsim.open_result(path)  # a YAML file is not a result
    assert caught.value.file == str(path)


def test_damaged_result_is_refused(cli_result, tmp_path):
    damaged = tmp_path / "damaged.h5"
    data = bytearray(cli_result.read_bytes())
    data[len(data) // 2] ^= 0xFF
    damaged.write_bytes(bytes(data))
    with pytest.raises(convsim.ScenarioError) as caught:
        convsim.open_result(damaged)
    assert caught.value.file == str(damaged)
