"""xarray Datasets of convsim results: one run (from a simulation or a result file) and merged sweeps.

Variables are named by their path in the HDF5 file (docs/results.md): ``aggregate/output``,
``by_sector/employment``, ``convergence/output``, ``policy/barrier``; each carries its ``units``
and ``long_name`` as attributes, and ``group`` says which group it comes from.
"""

import os
import re
import zlib

import numpy as np
import xarray as xr

from ._errors import ScenarioError

GROUPS = ("aggregate", "by_sector", "convergence", "policy")
EVENT_FIELDS = ("name", "lever", "sectors", "mode", "at", "until", "ramp_years", "value")
_YEAR = {"units": "year", "long_name": "decimal year at the start of each step"}


def _variable(dims, values, group, units, long_name):
    return xr.Variable(dims, values, attrs={"units": units, "long_name": long_name, "group": group})


def dataset_from_parts(parts):
    """The Dataset of one run from the parts convsim._core returns (arrays are used, not copied)."""
    time = parts["time"]
    coords = {
        "time": xr.Variable("time", time, attrs=dict(_YEAR)),
        "sector": xr.Variable("sector", np.array(parts["sector"], dtype=object), attrs={"long_name": "sector"}),
        "sector_role": xr.Variable("sector", np.array(parts["sector_role"], dtype=object),
                                   attrs={"long_name": "role of the sector: contents, platform, network, device or converging"}),
    }
    data = {}
    for group in GROUPS:
        for name, units, long_name, values in parts[group]:
            dims = ("time",) if values.ndim == 1 else ("time", "sector")
            data[f"{group}/{name}"] = _variable(dims, values, group, units, long_name)
    events = parts["events"]
    for field in EVENT_FIELDS:
        values = events[field]
        if not isinstance(values, np.ndarray):
            values = np.array(values, dtype=object)
        units = "year" if field in ("at", "until", "ramp_years") else ""
        data[f"policy/event_fields/{field}"] = xr.Variable("event", values, attrs={"group": "policy/event_fields", "units": units} if units else {"group": "policy/event_fields"})
    firms = parts.get("firms")
    if firms is not None:
        coords["snapshot"] = xr.Variable("snapshot", firms["time"], attrs={"units": "year", "long_name": "time of each firm snapshot"})
        width = firms["columns"][0][3].shape[1] if firms["columns"] else 0
        coords["firm"] = xr.Variable("firm", np.arange(width, dtype=np.int64), attrs={"units": "1", "long_name": "firm uid: entry number, the same in every snapshot"})
        data["firms/slot_count"] = xr.Variable("snapshot", firms["slot_count"], attrs={"group": "firms", "units": "1", "long_name": "number of firm slots in the snapshot (later slots are NaN)"})
        for name, units, long_name, values in firms["columns"]:
            data[f"firms/{name}"] = _variable(("snapshot", "firm"), values, "firms", units, long_name)
    attrs = dict(parts["attrs"])
    attrs.setdefault("Conventions", "CF-1.8")
    return xr.Dataset(data, coords=coords, attrs=attrs)


def group(dataset, name):
    """The variables of one group (``aggregate``, ``by_sector``, ...) under their short names."""
    prefix = name.rstrip("/") + "/"
    chosen = {key: key[len(prefix):] for key in dataset.data_vars if key.startswith(prefix) and "/" not in key[len(prefix):]}
    if not chosen:
        raise KeyError(f"no variables of group '{name}'; groups: {sorted({k.split('/')[0] for k in dataset.data_vars})}")
    return dataset[list(chosen)].rename(chosen)


_TRAILER = re.compile(rb"convsim-checksum crc32=([0-9a-f]{8}) bytes=([0-9a-f]{16})\n\Z")


def _check_trailer(path):
    """Refuses a file whose convsim checksum trailer does not match its bytes (docs/results.md)."""
    size = os.path.getsize(path)
    with open(path, "rb") as f:
        f.seek(max(0, size - 64))
        tail = f.read()
        match = _TRAILER.search(tail)
        if match is None:
            return  # rewritten by another tool (h5repack): HDF5's own checksums are all there is
        crc, covered = int(match.group(1), 16), int(match.group(2), 16)
        if covered + len(match.group(0)) != size:
            raise ScenarioError(f"{path}: the file is truncated or extended (its checksum covers {covered} bytes)",
                                str(path), 0, "", "truncated")
        f.seek(0)
        value, left = 0, covered
        while left > 0:
            block = f.read(min(left, 1 << 22))
            if not block:
                break
            value = zlib.crc32(block, value)
            left -= len(block)
        if value != crc:
            raise ScenarioError(f"{path}: the file is damaged (its checksum does not match)", str(path), 0, "", "damaged")


def _text(value):
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def _read_merged(path):
    import h5py

    if not os.path.isfile(path):
        raise ScenarioError(f"{path}: no such file", str(path), 0, "", "no such file")
    _check_trailer(path)
    try:
        f = h5py.File(path, "r")
    except OSError as error:
        raise ScenarioError(f"{path}: not an HDF5 file ({error})", str(path), 0, "", "not an HDF5 file") from None
    with f:
        fmt = _text(f.attrs.get("convsim_format", ""))
        if fmt != "convsim-sweep-1":
            raise ScenarioError(f"{path}: key 'convsim_format': '{fmt}' is not a merged sweep (convsim-sweep-1)",
                                str(path), 0, "convsim_format", "not a merged sweep")
        attrs = {key: (_text(value) if isinstance(value, (bytes, str)) else value.item() if hasattr(value, "item") else value)
                 for key, value in f.attrs.items()}
        run = f["run"][()]
        coords = {
            "run": xr.Variable("run", run, attrs={"long_name": "the run's index in the plan"}),
            "time": xr.Variable("time", f["time"][()], attrs=dict(_YEAR)),
            "sector": xr.Variable("sector", f["sector"].asstr()[()].astype(object), attrs={"long_name": "sector"}),
            "sector_role": xr.Variable("sector", f["sector_role"].asstr()[()].astype(object)),
        }
        data = {}
        for name in GROUPS:
            if name not in f:
                continue
            for key, item in f[name].items():
                if key in ("run", "time", "sector") or not isinstance(item, h5py.Dataset) or item.dtype.kind != "f":
                    continue
                dims = ("run", "time") if item.ndim == 2 else ("run", "time", "sector")
                data[f"{name}/{key}"] = _variable(dims, item[()], name, _text(item.attrs.get("units", "")),
                                                  _text(item.attrs.get("long_name", "")))
        runs = f["runs"]
        for key, item in runs.items():
            if not isinstance(item, h5py.Dataset) or item.shape[:1] != run.shape:
                continue
            values = item.asstr()[()].astype(object) if item.dtype.kind in ("O", "S") else item[()]
            if key == "draw_values":
                data["runs/draw_values"] = xr.Variable(("run", "draw_parameter"), values)
            elif key == "scenario_yaml":
                data["runs/scenario_yaml"] = xr.Variable("run", values, attrs={"long_name": "each run's resolved scenario"})
            else:
                coords[key] = xr.Variable("run", values)
        if "draw_parameter" in runs:
            coords["draw_parameter"] = xr.Variable("draw_parameter", runs["draw_parameter"].asstr()[()].astype(object))
    return xr.Dataset(data, coords=coords, attrs=attrs)


def open_sweep(path, reshape=True):
    """A merged sweep (``convsim merge``, ``convsim run --replicates``) as a Dataset.

    With ``reshape`` and a grid design (or replicates of one scenario), the ``run`` dimension is
    unstacked into ``scenario`` x each design parameter x ``replicate``; the plan index of each cell
    is the coordinate ``run_index`` (cells without a run, after ``merge --allow-missing``, are NaN,
    or -1 in integer columns such as ``run_index``).
    Otherwise (a sampled design, or ``reshape=False``) the data keeps a ``run`` dimension with the
    run table (scenario, replicate, seed, parameters, ...) as its coordinates.
    """
    path = os.fspath(path)
    dataset = _read_merged(path)
    parameters = [p for p in str(dataset.attrs.get("parameters", "")).split(",") if p]
    levels = ["scenario", *parameters, "replicate"]
    if not reshape or dataset.attrs.get("design") not in ("grid", "none") or any(l not in dataset.coords for l in levels):
        return dataset
    keys = list(zip(*(dataset[l].values.tolist() for l in levels)))
    if len(set(keys)) != len(keys):
        return dataset  # two runs in one cell: not a grid after all
    stacked = dataset.assign_coords(run_index=("run", dataset["run"].values, dataset["run"].attrs)).drop_vars("run")
    stacked = stacked.set_index(run=levels)
    # Integer columns keep their type: a cell without a run holds -1 there (0 for the seed), NaN elsewhere.
    fill = {name: (0 if v.dtype.kind == "u" else -1) if v.dtype.kind in "iu" else np.nan
            for name, v in stacked.variables.items()}
    reshaped = stacked.unstack("run", fill_value=fill)
    order = [*levels] + [d for d in ("time", "sector", "draw_parameter") if d in reshaped.dims]
    return reshaped.transpose(*order)
