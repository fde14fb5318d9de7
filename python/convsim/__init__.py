"""convsim from Python: run scenarios and sweeps, read results as xarray, compare them as pandas.

    import convsim
    scenario = convsim.load_scenario("scenarios/remove_barriers.yaml", set={"economy.firms": 2000})
    result = scenario.run(threads=2)                    # an xarray.Dataset
    result["aggregate/output"].plot()
    effects = convsim.compare("base.h5", "policy.h5")   # a pandas.DataFrame, as `convsim compare`

docs/python.md describes every function; the layout of the Datasets follows the HDF5 files of
docs/results.md and docs/clusters.md.
"""

import io
import json
import os
import sys
import tempfile
import time as _time
import warnings as _warnings

from . import _core
from ._datasets import dataset_from_parts, group, open_sweep
from ._errors import ScenarioError

__all__ = ["ScenarioError", "Scenario", "load_scenario", "continue_run", "open_result", "open_sweep", "group", "compare",
           "run_sweep", "__version__"]
__version__ = _core.version


def _yaml_value(value):
    """A Python value as the YAML text of a --set override."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(json.dumps(v) if isinstance(v, str) else _yaml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(str(k))}: {json.dumps(v) if isinstance(v, str) else _yaml_value(v)}"
                               for k, v in value.items()) + "}"
    if hasattr(value, "item"):  # a NumPy scalar
        return _yaml_value(value.item())
    raise TypeError(f"cannot set a scenario key to {value!r} ({type(value).__name__})")


class _Progress:
    """A one-line progress display on stderr (redrawn in place), as the CLI's."""

    def __init__(self, label, unit):
        self.label, self.unit = label, unit
        self.start = _time.monotonic()
        self.last = 0.0

    def __call__(self, done, total):
        now = _time.monotonic()
        if done < total and now - self.last < 0.2:
            return
        self.last = now
        elapsed = now - self.start
        if done >= total:
            sys.stderr.write(f"\r{self.label}: {done}/{total} {self.unit}, {elapsed:.1f} s{' ' * 16}\n")
        else:
            eta = f", ETA {elapsed / done * (total - done):.0f} s" if done > 0 else ""
            sys.stderr.write(f"\r{self.label}: {done}/{total} {self.unit} ({100 * done // max(total, 1)}%){eta}   ")
        sys.stderr.flush()


def _progress_function(progress, label, unit):
    if progress is True:
        return _Progress(label, unit)
    if progress is False or progress is None:
        return None
    if callable(progress):
        return progress
    raise TypeError("progress must be True, False or a function (done, total)")


class Scenario:
    """A loaded and validated scenario (convsim.load_scenario). Run it with .run()."""

    def __init__(self, core):
        self._core = core

    name = property(lambda self: self._core.name, doc="the scenario's `name`")
    seed = property(lambda self: self._core.seed, doc="the run's seed")
    firms = property(lambda self: self._core.firms, doc="economy.firms")
    steps = property(lambda self: self._core.steps, doc="reported steps of a run")
    sectors = property(lambda self: self._core.sectors, doc="sector names, in order")
    yaml = property(lambda self: self._core.resolved_yaml, doc="the resolved scenario as YAML")
    identity = property(lambda self: self._core.identity, doc="the run's identity (scenario_hash of its result)")
    warnings = property(lambda self: self._core.warnings, doc="what is valid but suspicious in the scenario")

    def __repr__(self):
        return f"<convsim.Scenario {self.name!r}: {self.firms} firms, {self.steps} steps, seed {self.seed}>"

    def run(self, threads=None, progress=True, snapshots=True):
        """Simulates the scenario and returns its result as an xarray.Dataset.

        threads: TBB worker threads (None: all cores); results do not depend on it.
        progress: True (a line on stderr), False, or a function called with (steps done, total).
        snapshots: include the firm snapshots the scenario asks for (output.snapshot_years).
        The GIL is released while the economy is simulated: other Python threads keep running.
        """
        report = _progress_function(progress, f"run {self.name}", "steps")
        parts = _core.simulate(self._core, 0 if threads is None else int(threads), report, bool(snapshots))
        return dataset_from_parts(parts)

    def checkpoint(self, year, path, finish=False, threads=None, progress=True, snapshots=True):
        """Runs the scenario to the start of `year` and saves its whole state to `path` (HDF5,
        written atomically), as `convsim run --checkpoint-at YEAR --checkpoint PATH`.

        finish: False stops there and returns None (--checkpoint-only); True goes on to the end and
        returns the result, equal to run()'s. continue_run(path) continues the checkpoint exactly.
        """
        report = _progress_function(progress, f"run {self.name}", "steps")
        parts = _core.checkpoint(self._core, float(year), os.fspath(path), bool(finish),
                                 0 if threads is None else int(threads), report, bool(snapshots))
        return None if parts is None else dataset_from_parts(parts)


def load_scenario(path, set=None):  # noqa: A002 - `set` as in `convsim run --set`
    """Loads, overrides and validates a scenario file as `convsim run` does.

    set: {dotted key: value}, applied in order like `--set key=value`, e.g.
    {"sectors.health_care.barrier": 0, "output.snapshot_years": []}. A string value is YAML text.
    Raises convsim.ScenarioError (with .file, .line, .key) for bad input.
    """
    overrides = [f"{key}={_yaml_value(value)}" for key, value in (set or {}).items()]
    scenario = Scenario(_core.load_scenario(os.fspath(path), overrides))
    for text in scenario.warnings:
        _warnings.warn(text, stacklevel=2)
    return scenario


def continue_run(path, scenario=None, threads=None, progress=True, snapshots=True):
    """Continues the checkpoint at `path` (Scenario.checkpoint, `convsim run --checkpoint-at`) to the
    end and returns the result as an xarray.Dataset, bit for bit the uninterrupted run's.

    scenario: None continues the checkpoint's own scenario; a Scenario that differs from it only in
    policy events from the checkpoint year on runs that branch (equal to running it from the start).
    Raises convsim.ScenarioError for a branch that differs before the checkpoint (naming the key) and
    for a damaged, foreign or other version's checkpoint.
    """
    report = _progress_function(progress, "continue " + os.fspath(path), "steps")
    parts = _core.continue_checkpoint(os.fspath(path), None if scenario is None else scenario._core,
                                      0 if threads is None else int(threads), report, bool(snapshots))
    return dataset_from_parts(parts)


def open_result(path):
    """A result file (`convsim run -o`) as an xarray.Dataset, read exactly by convsim's reader
    (its checksum checked first). A merged sweep is opened with open_sweep."""
    path = os.fspath(path)
    try:
        import h5py

        with h5py.File(path, "r") as f:
            if f.attrs.get("convsim_format") in ("convsim-sweep-1", b"convsim-sweep-1"):
                return open_sweep(path)
    except OSError:
        pass  # not HDF5: convsim's reader says so with the file's name
    return dataset_from_parts(_core.read_result(path))


def _argument(item):
    if isinstance(item, (list, tuple)):
        return ",".join(os.fspath(i) for i in item)
    return os.fspath(item)


def compare(baseline, *results, variables=("output", "employment"), scope="total", horizon=None, confidence=0.95,
            baseline_scenario="", where=(), scenarios=()):
    """Paired effects of each scenario against the baseline: `convsim compare ... --format csv` as
    a pandas.DataFrame (one row per variable and scenario), computed by the same C++ code.

    baseline, results: result files, merged sweeps, folders, globs or comma-separated lists of
    them (or a list of paths), exactly as the CLI's arguments. The other arguments are the CLI's
    --vars, --scope, --horizon, --confidence, --baseline-scenario, --where and --scenarios.
    """
    import pandas as pd

    if isinstance(variables, str):
        variables = [v for v in variables.split(",") if v]
    text = _core.compare_csv([_argument(baseline), *(_argument(r) for r in results)], list(variables), scope,
                             None if horizon is None else float(horizon), float(confidence), baseline_scenario,
                             [where] if isinstance(where, str) else list(where),
                             [scenarios] if isinstance(scenarios, str) else list(scenarios))
    return pd.read_csv(io.StringIO(text), float_precision="round_trip")


def run_sweep(path, output_dir=None, jobs=1, threads_per_run=1, progress=True, parameter_uncertainty=True):
    """Runs a sweep file locally (`convsim sweep run`, then `convsim merge`) and returns open_sweep
    of the merged file.

    output_dir: the sweep's output folder (runs/, plan.json, sweep.h5); a run already there with its
    identity is not run again. None: a temporary folder, removed once the result is read.
    jobs: runs at once (threads of this process); threads_per_run: TBB threads inside each run.
    Raises RuntimeError listing the failed runs (their errors are in output_dir/failures/).
    """
    path = os.fspath(path)
    report = _progress_function(progress, f"sweep {os.path.basename(path)}", "runs")
    scratch = tempfile.TemporaryDirectory(prefix="convsim-sweep-") if output_dir is None else None
    folder = scratch.name if scratch else os.fspath(output_dir)
    try:
        merged = os.path.join(folder, "sweep.h5")
        failures = _core.run_sweep(path, folder, merged, int(jobs), int(threads_per_run), bool(parameter_uncertainty),
                                   report)
        if failures:
            raise RuntimeError(f"{len(failures)} runs of {path} failed:\n" + "\n".join(failures))
        return open_sweep(merged).load()
    finally:
        if scratch:
            scratch.cleanup()
