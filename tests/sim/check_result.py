#!/usr/bin/python3
"""Checks that a convsim result file opens in h5py, netCDF4 and xarray without convsim.

Usage: check_result.py RESULT.h5

RESULT.h5 must hold the synthetic run written by tests/sim/result_python_test.cpp (its values are
given by the formulas in `expected()` below). Prints every mismatch and exits 1 if there is any.
"""
import math
import sys
import warnings

import numpy as np

FAILURES = []


def check(condition, message):
    """Records a failure when `condition` is false."""
    if not condition:
        FAILURES.append(message)
    return condition


def same(found, wanted):
    """Exact equality of float arrays, NaN equal to NaN."""
    found = np.asarray(found, dtype=float)
    wanted = np.asarray(wanted, dtype=float)
    return found.shape == wanted.shape and np.array_equal(found, wanted, equal_nan=True)


def expected():
    """The synthetic run of result_python_test.cpp, by formula."""
    T, S = 6, 3
    t = np.arange(T, dtype=float)
    s = np.arange(S, dtype=float)
    snap_slots = [3, 5, 4]
    snap_time = [2020.0, 2021.0, 2021.25]
    firm_count = max(snap_slots)
    capital = np.full((3, firm_count), np.nan)
    sector = np.full((3, firm_count), np.nan)
    for k, n in enumerate(snap_slots):
        capital[k, :n] = 1000.0 * k + np.arange(n)
        sector[k, :n] = np.arange(n) % 3
    return {
        "attrs": {
            "title": "convsim python check — 검사",
            "scenario_name": "python_check",
            "scenario": "name: python_check\nsteps_per_year: 4\n",
            "scenario_hash": "feedbeef",
            "Conventions": "CF-1.8",
            "convsim_format": "convsim-result-1",
        },
        "seed": 2**63 + 5,
        "steps_per_year": 4,
        "time": 2020.0 + t / 4.0,
        "sector": ["contents", "platform", "의료"],
        "sector_role": ["contents", "platform", "converging"],
        "aggregate": {
            "output": ("1e8 KRW/year", 100.0 + t),
            "jobs": ("persons", 50.0 + 2.0 * t),
        },
        "by_sector": {"output": ("1e8 KRW/year", 10.0 * s[None, :] + t[:, None] + 0.5)},
        "convergence": {"output": ("1e8 KRW/year", 3.0 + t)},
        "policy": {
            "infrastructure": ("1", 1.0 + 0.25 * t),
            "barrier": ("1", np.where(t[:, None] < 3, 1.0, 0.5 * s[None, :])),
        },
        "events": [
            ("telemedicine", "barrier", "platform,의료", "set", 2020.5, math.nan, 0.5, 0.0),
            ("5g", "infrastructure", "", "add", 2020.25, 2021.0, 0.0, 0.25),
        ],
        "firms": {
            "time": snap_time,
            "slot_count": snap_slots,
            "capital": ("1e8 KRW", capital),
            "sector": ("1", sector),
        },
    }


def check_h5py(path, want):
    import h5py

    with h5py.File(path, "r") as f:
        for name, value in want["attrs"].items():
            found = f.attrs.get(name)
            check(isinstance(found, str), f"h5py: root attr {name} is {type(found).__name__}, not str")
            check(found == value, f"h5py: root attr {name} = {found!r}, expected {value!r}")
        for name in ("convsim_version", "git_revision", "created"):
            check(isinstance(f.attrs.get(name), str) and f.attrs[name] != "",
                  f"h5py: root attr {name} missing or not a str")
        check(int(f.attrs["seed"]) == want["seed"], f"h5py: seed = {f.attrs['seed']!r}")
        check(f.attrs["seed"].dtype == np.uint64, f"h5py: seed dtype {f.attrs['seed'].dtype}")
        check(int(f.attrs["steps_per_year"]) == want["steps_per_year"], "h5py: steps_per_year")

        check(same(f["time"][()], want["time"]), "h5py: /time values")
        check(f["time"].attrs.get("units") == "year", "h5py: /time units")
        check(isinstance(f["time"].attrs.get("long_name"), str), "h5py: /time long_name")
        for name in ("sector", "sector_role"):
            ds = f[name]
            info = h5py.check_string_dtype(ds.dtype)
            check(info is not None and info.encoding == "utf-8", f"h5py: /{name} is not UTF-8 vlen")
            check(list(ds.asstr()[()]) == want[name], f"h5py: /{name} = {list(ds.asstr()[()])}")
        check(h5py.h5ds.is_scale(f["time"].id) and h5py.h5ds.is_scale(f["sector"].id),
              "h5py: /time or /sector is not a scale")
        check(f["sector_role"].dims[0][0] == f["sector"], "h5py: /sector_role not on /sector")

        for group in ("aggregate", "by_sector", "convergence", "policy"):
            g = f[group]
            check(same(g["time"][()], want["time"]), f"h5py: /{group}/time differs from /time")
            for name, (units, values) in want[group].items():
                ds = g[name]
                check(same(ds[()], values), f"h5py: /{group}/{name} values")
                check(ds.attrs.get("units") == units,
                      f"h5py: /{group}/{name} units {ds.attrs.get('units')!r}, expected {units!r}")
                check(isinstance(ds.attrs.get("long_name"), str), f"h5py: /{group}/{name} long_name")
                check(ds.dims[0][0] == g["time"], f"h5py: /{group}/{name} dim 0 is not time")
                if ds.ndim == 2:
                    check(ds.dims[1][0] == g["sector"], f"h5py: /{group}/{name} dim 1 not sector")
                    check(list(g["sector"].asstr()[()]) == want["sector"],
                          f"h5py: /{group}/sector differs from /sector")

        events = f["policy/events"]
        check(events.dtype.names == ("name", "lever", "sectors", "mode", "at", "until",
                                     "ramp_years", "value"),
              f"h5py: /policy/events fields {events.dtype.names}")
        for field in ("name", "lever", "sectors", "mode"):
            info = h5py.check_string_dtype(events.dtype.fields[field][0])
            check(info is not None and info.encoding == "utf-8",
                  f"h5py: /policy/events.{field} is not UTF-8 vlen")
        rows = events[()]
        check(len(rows) == len(want["events"]), "h5py: number of events")
        for row, wanted in zip(rows, want["events"]):
            text = tuple(x.decode("utf-8") for x in row[["name", "lever", "sectors", "mode"]])
            check(text == wanted[:4], f"h5py: event strings {text} != {wanted[:4]}")
            numbers = [row[k] for k in ("at", "until", "ramp_years", "value")]
            check(same(numbers, wanted[4:]), f"h5py: event numbers {numbers} != {wanted[4:]}")
        fields = f["policy/event_fields"]
        check(list(fields["name"].asstr()[()]) == [e[0] for e in want["events"]],
              "h5py: /policy/event_fields/name")
        check(same(fields["until"][()], [e[5] for e in want["events"]]),
              "h5py: /policy/event_fields/until")

        firms = f["firms"]
        wf = want["firms"]
        check(same(firms["time"][()], wf["time"]), "h5py: /firms/time")
        check(list(firms["slot_count"][()]) == wf["slot_count"], "h5py: /firms/slot_count")
        for name in ("capital", "sector"):
            units, values = wf[name]
            ds = firms[name]
            check(same(ds[()], values), f"h5py: /firms/{name} values (NaN padded)")
            check(ds.attrs.get("units") == units, f"h5py: /firms/{name} units")
            check(ds.chunks is not None and ds.compression == "gzip" and ds.shuffle,
                  f"h5py: /firms/{name} not chunked+gzip+shuffle ({ds.chunks}, {ds.compression})")
            check(ds.compression_opts == 1, f"h5py: /firms/{name} gzip level {ds.compression_opts}")
            check(ds.dims[0][0] == firms["time"] and ds.dims[1][0] == firms["firm"],
                  f"h5py: /firms/{name} dimensions")


def check_netcdf4(path, want):
    import netCDF4

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with netCDF4.Dataset(path, "r") as d:
            check(d.dimensions["time"].size == len(want["time"]), "netCDF4: time dimension")
            check(d.dimensions["sector"].size == len(want["sector"]), "netCDF4: sector dimension")
            check(d.getncattr("convsim_format") == "convsim-result-1", "netCDF4: convsim_format")
            check(d.getncattr("title") == want["attrs"]["title"], "netCDF4: title")
            check(int(d.getncattr("seed")) == want["seed"], "netCDF4: seed")
            check(list(d["sector"][:]) == want["sector"], f"netCDF4: sector = {list(d['sector'][:])}")
            check(same(d["time"][:], want["time"]), "netCDF4: time")
            check(d["time"].units == "year", "netCDF4: time units")
            for group in ("aggregate", "by_sector", "convergence", "policy"):
                g = d.groups[group]
                for name, (units, values) in want[group].items():
                    var = g.variables[name]
                    dims = ("time",) if np.ndim(values) == 1 else ("time", "sector")
                    check(var.dimensions == dims, f"netCDF4: /{group}/{name} dims {var.dimensions}")
                    check(var.units == units, f"netCDF4: /{group}/{name} units {var.units!r}")
                    check(same(np.ma.filled(var[:], np.nan), values),
                          f"netCDF4: /{group}/{name} values")
            fields = d["policy/event_fields"]
            check(list(fields["lever"][:]) == [e[1] for e in want["events"]],
                  "netCDF4: /policy/event_fields/lever")
            check(same(np.ma.filled(fields["until"][:], np.nan), [e[5] for e in want["events"]]),
                  "netCDF4: /policy/event_fields/until")
            firms = d.groups["firms"]
            for name in ("capital", "sector"):
                units, values = want["firms"][name]
                var = firms.variables[name]
                check(var.dimensions == ("time", "firm"), f"netCDF4: /firms/{name} dims")
                check(same(np.ma.filled(var[:], np.nan), values), f"netCDF4: /firms/{name} values")
    for w in caught:
        check(False, f"netCDF4 warned: {w.message}")


def check_xarray(path, want):
    import xarray as xr

    with xr.open_dataset(path) as root:
        check("time" in root.coords and same(root["time"].values, want["time"]),
              "xarray: root time coordinate")
        check(list(root["sector"].values) == want["sector"], "xarray: root sector coordinate")
        check(list(root["sector_role"].values) == want["sector_role"], "xarray: sector_role")
        check(root.attrs.get("convsim_format") == "convsim-result-1", "xarray: convsim_format")
        check(root["time"].dtype == np.float64, f"xarray decoded time to {root['time'].dtype}")
    for group in ("aggregate", "by_sector", "convergence", "policy"):
        with xr.open_dataset(path, group=group) as ds:
            check("time" in ds.coords and same(ds["time"].values, want["time"]),
                  f"xarray: /{group} has no time coordinate")
            for name, (units, values) in want[group].items():
                da = ds[name]
                check(same(da.values, values), f"xarray: /{group}/{name} values")
                check(da.attrs.get("units") == units, f"xarray: /{group}/{name} units")
                if da.ndim == 2:
                    check(da.dims == ("time", "sector"), f"xarray: /{group}/{name} dims {da.dims}")
                    check(list(ds["sector"].values) == want["sector"],
                          f"xarray: /{group} sector coordinate")
    with xr.open_dataset(path, group="policy/event_fields") as ds:
        table = ds.to_dataframe()
        check(list(table["name"]) == [e[0] for e in want["events"]], "xarray: event names")
        check(same(table["at"].values, [e[4] for e in want["events"]]), "xarray: event at")
    with xr.open_dataset(path, group="firms") as ds:
        check(same(ds["time"].values, want["firms"]["time"]), "xarray: /firms time coordinate")
        for name in ("capital", "sector"):
            check(same(ds[name].values, want["firms"][name][1]), f"xarray: /firms/{name} values")
            check(ds[name].dims == ("time", "firm"), f"xarray: /firms/{name} dims")


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    path = sys.argv[1]
    want = expected()
    for name, run in (("h5py", check_h5py), ("netCDF4", check_netcdf4), ("xarray", check_xarray)):
        try:
            run(path, want)
        except ImportError as error:
            FAILURES.append(f"{name} is not installed ({error}); run scripts/install-deps.sh")
        except Exception as error:  # any crash of a reader is a failure of the file
            FAILURES.append(f"{name} failed: {type(error).__name__}: {error}")
    for failure in FAILURES:
        print("check_result.py: " + failure, file=sys.stderr)
    if FAILURES:
        return 1
    print("check_result.py: h5py, netCDF4 and xarray read the result as expected")
    return 0


if __name__ == "__main__":
    sys.exit(main())
