#!/usr/bin/python3
"""Plots of a convsim scenario comparison: curves with bands, effects with intervals, sectors, levers.

Two ways in:

* from ``convsim compare ... --plot DIR`` (the CLI writes ``DIR/comparison.json`` and runs
  ``convsim_plots.py --data DIR/comparison.json --out DIR``), or
* on its own, from result files: ``convsim_plots.py BASELINE RESULT... --out DIR``, where each
  argument is a result file, comma-separated files (the replicates of one scenario), a directory of
  ``*.h5`` or a glob. The comparison is then computed here with numpy, by the same rules as
  ``convsim compare`` (replicates paired by seed, Student t intervals, Welch for contrast);
  ``--write-data FILE`` saves it in the JSON format of ``convsim compare --format json``.

Writes PNG and SVG files into ``--out`` and an index ``plots.tsv`` (png, svg, kind, title,
caption). Needs Debian's python3-matplotlib, python3-numpy and (for result files) python3-h5py;
runs with /usr/bin/python3.

Examples::

    /usr/bin/python3 analysis/python/convsim_plots.py base_s*.h5 --out plots \\
        --vars output,employment          # one argument per scenario: quote globs with commas
    /usr/bin/python3 analysis/python/convsim_plots.py "base_s*.h5" "policy_s*.h5" --out plots
"""

import argparse
import glob
import json
import math
import os
import re
import textwrap
import sys

import numpy as np

RESULT_FORMAT = "convsim-result-1"
MERGED_FORMAT = "convsim-sweep-1"


class InputError(Exception):
    """Bad input: the message names the file and what is wrong (exit code 2)."""


# ---- statistics (the same definitions as analysis/src/compare.cpp) ----------------------------

def _betacf(a, b, x):
    """Continued fraction of the incomplete beta function (modified Lentz)."""
    tiny = 1e-300
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = tiny if abs(d) < tiny else d
    d = 1.0 / d
    h = d
    for m in range(1, 1000):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = tiny if abs(d) < tiny else d
        c = 1.0 + aa / c
        c = tiny if abs(c) < tiny else c
        d = 1.0 / d
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = tiny if abs(d) < tiny else d
        c = 1.0 + aa / c
        c = tiny if abs(c) < tiny else c
        d = 1.0 / d
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < 1e-15:
            break
    return h


def _betainc(a, b, x):
    """Regularised incomplete beta I_x(a, b)."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    front = math.exp(math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x))
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _betacf(a, b, x) / a
    return 1.0 - front * _betacf(b, a, 1.0 - x) / b


def t_cdf(t, df):
    """Cumulative distribution of Student's t."""
    tail = 0.5 * _betainc(0.5 * df, 0.5, df / (df + t * t))
    return 1.0 - tail if t > 0 else tail


def t_quantile(p, df):
    """Quantile of Student's t (scipy when present, else bisection on t_cdf)."""
    try:
        from scipy.stats import t as student_t  # optional: not a convsim dependency
        return float(student_t.ppf(p, df))
    except ImportError:
        pass
    if p == 0.5:
        return 0.0
    if p < 0.5:
        return -t_quantile(1.0 - p, df)
    low, high = 0.0, 1.0
    while t_cdf(high, df) < p:
        high *= 2.0
    for _ in range(200):
        middle = 0.5 * (low + high)
        if t_cdf(middle, df) < p:
            low = middle
        else:
            high = middle
    return 0.5 * (low + high)


def _reason(n):
    return "no interval (no replicates)" if n == 0 else "no interval (1 replicate)"


def _interval(available, low=None, high=None, reason=None):
    if available:
        return {"available": True, "low": float(low), "high": float(high)}
    return {"available": False, "low": None, "high": None, "reason": reason}


def _sd(values):
    return float(np.std(values, ddof=1)) if len(values) >= 2 else float("nan")


def mean_interval(values, level):
    """t interval of the mean; none below two values."""
    n = len(values)
    if n < 2:
        return _interval(False, reason=_reason(n))
    mean, sd = float(np.mean(values)), _sd(values)
    if not (math.isfinite(mean) and math.isfinite(sd)):
        return _interval(False, reason="no interval (non-finite values)")
    half = 0.0 if sd == 0 else t_quantile(0.5 + 0.5 * level, n - 1) * sd / math.sqrt(n)
    return _interval(True, mean - half, mean + half)


def welch_interval(a, b, level):
    """Welch interval of mean(a) - mean(b); none when either has fewer than two values."""
    if len(a) < 2 or len(b) < 2:
        return _interval(False, reason=_reason(min(len(a), len(b))))
    va, vb = _sd(a) ** 2 / len(a), _sd(b) ** 2 / len(b)
    difference = float(np.mean(a)) - float(np.mean(b))
    se2 = va + vb
    half = 0.0
    if se2 > 0:
        df = se2 * se2 / (va * va / (len(a) - 1) + vb * vb / (len(b) - 1))
        half = t_quantile(0.5 + 0.5 * level, df) * math.sqrt(se2)
    return _interval(True, difference - half, difference + half)


def estimate_effect(scenario, scenario_seeds, baseline, baseline_seeds, level):
    """Paired (by seed) and unpaired effect of scenario - baseline."""
    index = {seed: i for i, seed in enumerate(baseline_seeds)}
    pairs = sorted((seed, scenario[i] - baseline[index[seed]], baseline[index[seed]])
                   for i, seed in enumerate(scenario_seeds) if seed in index)
    differences = [d for _, d, _ in pairs]
    effect = {"pairs": len(pairs), "seeds": [s for s, _, _ in pairs], "differences": differences}
    if not pairs:
        effect.update(paired_mean=None, percent=None,
                      paired={"ci": _interval(False, reason="no interval (no seed in common with the baseline: cannot pair)")})
    else:
        mean = float(np.mean(differences))
        base = float(np.mean([b for _, _, b in pairs]))
        effect.update(paired_mean=mean, percent=100.0 * mean / base if base != 0 else None,
                      paired={"ci": mean_interval(differences, level)})
    effect["unpaired_mean"] = float(np.mean(scenario)) - float(np.mean(baseline))
    effect["unpaired"] = {"ci": welch_interval(scenario, baseline, level)}
    return effect


# ---- reading result files ----------------------------------------------------------------------

def expand_argument(argument):
    """The result files one argument names: FILE[,FILE...], a directory or a glob."""
    paths = []
    for item in [x for x in argument.split(",") if x]:
        if os.path.isdir(item):
            found = sorted(os.path.join(item, n) for n in os.listdir(item)
                           if n.endswith((".h5", ".hdf5")) and ".tmp." not in n)
            if not found:
                raise InputError(f"{item}: directory holds no result files (*.h5)")
        elif any(c in item for c in "*?[") and not os.path.exists(item):
            found = sorted(glob.glob(item))
            if not found:
                raise InputError(f"'{item}' matches no file")
        else:
            if not os.path.exists(item):
                raise InputError(f"{item}: no such result file")
            found = [item]
        paths.extend(found)
    if not paths:
        raise InputError("an empty result argument; expected FILE[,FILE...], a directory or a glob")
    return paths


def _text(value):
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def _events_from_yaml(text):
    """Timed events of a stored scenario's `policies` section (merged sweeps keep no events table)."""
    try:
        import yaml
        policies = (yaml.safe_load(text) or {}).get("policies") or {}
    except Exception:
        return []
    events = []
    for name, event in policies.items():
        sectors = event.get("sectors", "")
        events.append({"name": name, "lever": event.get("lever", ""),
                       "sectors": ",".join(sectors) if isinstance(sectors, list) else str(sectors or ""),
                       "mode": event.get("mode", "set"), "at": float(event.get("at", 0)),
                       "until": float(event.get("until", float("nan"))), "ramp_years": float(event.get("ramp_years", 0)),
                       "value": float(event.get("value", 0))})
    return events


def read_runs(path):
    """The runs of a result file (one) or of a merged sweep (all), as dicts of series (no firm snapshots)."""
    import h5py
    try:
        handle = h5py.File(path, "r")
    except OSError as error:
        raise InputError(f"{path}: not an HDF5 file ({error})")
    with handle as f:
        kind = _text(f.attrs.get("convsim_format", ""))
        if kind == MERGED_FORMAT:
            return _read_merged(path, f)
        if kind != RESULT_FORMAT:
            raise InputError(f"{path}: not a convsim result (no convsim_format attribute '{RESULT_FORMAT}')")
        run = {"file": path, "run_index": -1, "parameters": [], "seed": int(f.attrs["seed"]),
               "name": _text(f.attrs.get("scenario_name", "")), "scenario": _text(f.attrs.get("scenario", "")),
               "steps_per_year": int(f.attrs.get("steps_per_year", 1)),
               "time": f["time"][()], "sectors": [_text(s) for s in f["sector"][()]]}
        for group in ("aggregate", "by_sector", "convergence", "policy"):
            run[group] = {}
            if group not in f:
                continue
            for name, dataset in f[group].items():
                if name in ("time", "sector", "events") or not hasattr(dataset, "shape"):
                    continue
                run[group][name] = (dataset[()], _text(dataset.attrs.get("units", "")),
                                    _text(dataset.attrs.get("long_name", "")))
        run["events"] = []
        if "policy/events" in f:
            for row in f["policy/events"][()]:
                run["events"].append({k: (_text(row[k]) if k in ("name", "lever", "sectors", "mode") else float(row[k]))
                                      for k in ("name", "lever", "sectors", "mode", "at", "until", "ramp_years", "value")})
    return [run]


def _read_merged(path, f):
    """The runs of a merged sweep (layout of convsim merge: [run, time(, sector)] variables, /runs table)."""
    table = f["runs"]
    names = [_text(x) for x in table["scenario"][()]]
    seeds = [int(x) for x in table["seed"][()]]
    yaml_texts = [_text(x) for x in table["scenario_yaml"][()]]
    indices = [int(x) for x in table["run"][()]] if "run" in table else list(range(len(names)))
    keys = [k for k in _text(f.attrs.get("parameters", "")).split(",") if k and k in table]
    columns = {}
    for key in keys:
        values = table[key][()]
        columns[key] = [_text(v) if isinstance(v, bytes) else f"{float(v):.10g}" for v in values]
    time = f["time"][()]
    sectors = [_text(s) for s in f["sector"][()]]
    spy = int(f.attrs.get("steps_per_year", 1))
    runs = []
    for r, name in enumerate(names):
        runs.append({"file": path, "run_index": indices[r], "parameters": [(k, columns[k][r]) for k in keys],
                     "seed": seeds[r], "name": name, "scenario": yaml_texts[r], "steps_per_year": spy, "time": time,
                     "sectors": sectors, "events": _events_from_yaml(yaml_texts[r]),
                     "aggregate": {}, "by_sector": {}, "convergence": {}, "policy": {}})
    for group in ("aggregate", "by_sector", "convergence", "policy"):
        if group not in f:
            continue
        for name, dataset in f[group].items():
            if name in ("run", "time", "sector") or not hasattr(dataset, "shape") or dataset.ndim < 2:
                continue
            values = dataset[()]
            units, long_name = _text(dataset.attrs.get("units", "")), _text(dataset.attrs.get("long_name", ""))
            for r, run in enumerate(runs):
                run[group][name] = (values[r], units, long_name)
    return runs


def _scenario_field(text, key):
    match = re.search(rf"^{key}:[ \t]*(.*)$", text, re.MULTILINE)
    return match.group(1).strip().strip("'\"") if match else ""


def _calibration(text):
    """The stored scenario's `calibration` map as YAML text, without its key line (as the CLI shows it)."""
    match = re.search(r"^calibration:.*?(?=^\S|\Z)", text, re.MULTILINE | re.DOTALL)
    if not match:
        return ""
    body = match.group(0).split("\n", 1)
    return textwrap.dedent(body[1]).strip() if len(body) > 1 else body[0][len("calibration:"):].strip()


def _leaves(text):
    """The scenario as dotted key -> text (PyYAML's BaseLoader keeps scalars as written); {} without PyYAML."""
    try:
        import yaml
        root = yaml.load(text, Loader=yaml.BaseLoader)
    except Exception:  # PyYAML absent or the text does not parse: labels fall back to file names
        return {}
    out = {}

    def walk(node, prefix):
        if isinstance(node, dict):
            for key, value in node.items():
                walk(value, f"{prefix}.{key}" if prefix else str(key))
        elif isinstance(node, list):
            out[prefix] = "[" + ", ".join(str(x) for x in node) + "]"
        else:
            out[prefix] = "null" if node is None else str(node)
    walk(root, "")
    out.pop("seed", None)
    # A replicate at a parameter draw of its calibration differs in the drawn keys and the draw's
    # record: what its replicates share leaves them out (as the CLI does).
    draw = ((root or {}).get("calibration") or {}).get("applied_draw") if isinstance(root, dict) else None
    if isinstance(draw, dict):
        for key in draw.get("keys") or []:
            out.pop(key, None)
        for key in [k for k in out if k.startswith("calibration.applied_draw.")]:
            out.pop(key)
    return out


def _difference_label(group, reference):
    parts, count = [], 0
    for key in sorted(group):
        if reference.get(key) == group[key]:
            continue
        count += 1
        if count <= 3:
            parts.append(f"{key}={group[key]}")
    for key in sorted(reference):
        if key not in group:
            count += 1
            if count <= 3:
                parts.append(f"{key} unset")
    if count > 3:
        parts.append("...")
    return ", ".join(parts)


def _same_value(a, b):
    if a == b:
        return True
    try:
        return float(a) == float(b)
    except ValueError:
        return False


def _matches(run, filters, used):
    leaves = None
    passed = True
    for i, (key, value) in enumerate(filters):
        found = dict(run["parameters"]).get(key)
        if found is None:
            leaves = _leaves(run["scenario"]) if leaves is None else leaves
            found = leaves.get(key)
        if found is not None:
            used[i] = True
        passed = passed and found is not None and _same_value(found, value)
    return passed


def load_scenarios(arguments, baseline_scenario="", where=()):
    """Runs grouped into scenarios (per argument, by scenario name, parameters and scenario without the seed)."""
    filters = []
    for text in where:
        if "=" not in text or text.startswith("="):
            raise InputError(f"--where '{text}' is not KEY=VALUE")
        filters.append(tuple(text.split("=", 1)))
    used = [False] * len(filters)
    scenarios = []
    for position, argument in enumerate(arguments):
        groups = {}
        for path in expand_argument(argument):
            for run in read_runs(path):
                if filters and not _matches(run, filters, used):
                    continue
                parameters = ", ".join(f"{k}={v}" for k, v in run["parameters"])
                leaves = _leaves(run["scenario"])
                drawn = leaves and "applied_draw:" in run["scenario"]
                shared = (json.dumps(leaves, sort_keys=True) if drawn
                          else re.sub(r"^seed:.*$", "", run["scenario"], flags=re.MULTILINE))
                key = (run["name"], parameters, shared)
                group = groups.setdefault(key, {"name": run["name"], "parameters": parameters, "argument": argument,
                                                "runs": [], "leaves": leaves, "key": key})
                for other in group["runs"]:
                    if other["seed"] == run["seed"]:
                        raise InputError(f"{path}: two runs of scenario '{run['name']}' with the same seed {run['seed']}")
                group["runs"].append(run)
        if not groups:
            raise InputError(f"{argument}: no run matches --where {' and '.join(where)}")
        ordered = list(groups.values())
        if position == 0:
            if baseline_scenario:
                chosen = [g for g in ordered if g["name"] == baseline_scenario]
                if len(chosen) != 1:
                    raise InputError(f"{argument}: {len(chosen)} groups of runs named '{baseline_scenario}'; "
                                     "pick one with --baseline-scenario and --where KEY=VALUE")
                ordered.remove(chosen[0])
                ordered.insert(0, chosen[0])
            elif len(ordered) > 1:
                raise InputError(f"{argument}: the baseline argument holds {len(ordered)} different scenarios; "
                                 "name the baseline with --baseline-scenario")
        for group in ordered:
            # Files of one scenario given as separate arguments (a glob the shell expanded) are its
            # replicates when no seed repeats, as convsim compare joins them.
            seeds = {r["seed"] for r in group["runs"]}
            same = next((g for g in scenarios if g["key"] == group["key"]
                         and not seeds & {r["seed"] for r in g["runs"]}), None)
            if same is not None:
                same["runs"] = sorted(same["runs"] + group["runs"], key=lambda r: r["seed"])
                continue
            group["runs"].sort(key=lambda r: r["seed"])
            scenarios.append(group)
    for i, flag in enumerate(used):
        if not flag:
            raise InputError(f"--where: no run has '{filters[i][0]}'")
    if len(scenarios) < 2:
        raise InputError("only one scenario to compare; give the baseline and at least one other scenario")
    # Labels as convsim compare gives them: the name, qualified when it is taken.
    taken = set()
    for g, group in enumerate(scenarios):
        label = group["name"] or "unnamed"
        if group["parameters"]:
            label += f" [{group['parameters']}]"
        if label in taken:
            first = next(h for h in scenarios[:g] if h["name"] == group["name"])
            differs = _difference_label(group["leaves"], first["leaves"])
            stem = os.path.splitext(os.path.basename(group["runs"][0]["file"]))[0]
            if differs and f"{label} ({differs})" not in taken:
                label = f"{label} ({differs})"
            elif f"{label} ({stem})" not in taken:
                label = f"{label} ({stem})"
            else:
                k = 2
                while f"{label} #{k}" in taken:
                    k += 1
                label = f"{label} #{k}"
        taken.add(label)
        group["label"] = label
    reference = scenarios[0]["runs"][0]
    notes = []
    for group in scenarios:
        for run in group["runs"]:
            if run["steps_per_year"] != reference["steps_per_year"] or not np.array_equal(run["time"], reference["time"]):
                raise InputError(f"{run['file']}: '{reference['file']}' and '{run['file']}' have different time axes")
            if run["sectors"] != reference["sectors"]:
                if sorted(run["sectors"]) != sorted(reference["sectors"]):
                    raise InputError(f"{run['file']}: '{reference['file']}' and '{run['file']}' have different sectors")
                order = [run["sectors"].index(s) for s in reference["sectors"]]
                for group_name in ("by_sector", "policy"):
                    for name, (values, units, long_name) in list(run[group_name].items()):
                        if values.ndim == 2:
                            run[group_name][name] = (values[:, order], units, long_name)
                run["sectors"] = list(reference["sectors"])
                notes.append(f"'{run['file']}' lists its sectors in another order; aligned by sector name")
    return scenarios, notes


def _series(run, variable, scope, sector_index):
    group = {"total": "aggregate", "convergence": "convergence"}.get(scope, "by_sector")
    if variable not in run[group]:
        raise InputError(f"{run['file']}: no variable '{variable}' in /{group}; it holds: {', '.join(run[group])}")
    values, units, long_name = run[group][variable]
    if group == "by_sector":
        values = values[:, sector_index]
    return np.asarray(values, dtype=float), units, long_name


def _cumulative_units(units):
    if units.endswith("/year") and len(units) > 5:
        return units[:-5]
    return "year" if units in ("", "1") else units + "*year"


def compute_comparison(arguments, variables, scope="total", horizon=None, confidence=0.95, band=0.90,
                       baseline_scenario="", where=()):
    """The comparison of result files as a dict in the format of convsim compare --format json."""
    scenarios, notes = load_scenarios(arguments, baseline_scenario, where)
    reference = scenarios[0]["runs"][0]
    time = np.asarray(reference["time"], dtype=float)
    sectors = reference["sectors"]
    sector_index = 0
    if scope.startswith("sector:"):
        if scope[7:] not in sectors:
            raise InputError(f"no sector '{scope[7:]}' in the results; they have: {', '.join(sectors)}")
        sector_index = sectors.index(scope[7:])
    elif scope not in ("total", "convergence"):
        raise InputError(f"'{scope}' is not a scope; expected total, convergence or sector:NAME")
    if horizon is None:
        h, horizon_year = len(time) - 1, math.floor(time[-1])
    else:
        inside = [t for t in range(len(time)) if horizon <= time[t] < horizon + 1]
        if not inside:
            raise InputError(f"--horizon {horizon:g} is outside the results' time axis {time[0]:g}-{time[-1]:g}")
        h, horizon_year = inside[-1], horizon
    spy = reference["steps_per_year"]
    description = {"total": "the whole economy", "convergence": "the smart convergence industry"}.get(
        scope, "sector " + scope[7:])
    out = {"format": "convsim-comparison-1", "scope": scope, "scope_description": description,
           "horizon_year": horizon_year, "horizon_index": h, "confidence_level": confidence, "band_level": band,
           "steps_per_year": spy, "time": time.tolist(), "sectors": sectors, "scenarios": [], "variables": [],
           "by_sector": [], "levers": [], "notes": notes}
    for group in scenarios:
        text = group["runs"][0]["scenario"]
        out["scenarios"].append({"label": group["label"], "name": group["name"],
                                 "description": _scenario_field(text, "description"), "calibration": _calibration(text),
                                 "parameters": group["parameters"], "argument": group["argument"],
                                 "seeds": [r["seed"] for r in group["runs"]],
                                 "files": sorted({r["file"] for r in group["runs"]}, key=[r["file"] for r in group["runs"]].index),
                                 "events": group["runs"][0]["events"]})
    for variable in variables:
        matrices, units, long_name = [], None, None
        for group in scenarios:
            rows = []
            for run in group["runs"]:
                values, u, ln = _series(run, variable, scope, sector_index)
                if units is None:
                    units, long_name = u, ln
                elif u != units:
                    raise InputError(f"{run['file']}: units differ: '{units}' against '{u}' for {variable}")
                rows.append(values)
            matrices.append((np.vstack(rows), [r["seed"] for r in group["runs"]]))
        base, base_seeds = matrices[0]
        base_cumulative = base[:, :h + 1].sum(axis=1) / spy
        entry = {"name": variable, "units": units, "long_name": long_name, "cumulative_units": _cumulative_units(units),
                 "scenarios": []}
        for k, (matrix, seeds) in enumerate(matrices):
            cumulated = matrix[:, :h + 1].sum(axis=1) / spy
            curve = {"mean": matrix.mean(axis=0).tolist(),
                     "low": np.quantile(matrix, 0.5 - 0.5 * band, axis=0).tolist(),
                     "high": np.quantile(matrix, 0.5 + 0.5 * band, axis=0).tolist()}
            row = {"scenario": scenarios[k]["label"], "replicates": len(seeds), "curve": curve,
                   "horizon": {"mean": float(matrix[:, h].mean()), "low": curve["low"][h], "high": curve["high"][h]},
                   "cumulative_mean": float(cumulated.mean())}
            if k == 0:
                row.update(horizon_effect=None, cumulative_effect=None, effect_curve=None, summary="baseline")
            else:
                row["horizon_effect"] = estimate_effect(matrix[:, h].tolist(), seeds, base[:, h].tolist(), base_seeds,
                                                        confidence)
                row["cumulative_effect"] = estimate_effect(cumulated.tolist(), seeds, base_cumulative.tolist(),
                                                           base_seeds, confidence)
                effect_curve = {"mean": [], "low": [], "high": []}
                for t in range(len(time)):
                    e = estimate_effect(matrix[:, t].tolist(), seeds, base[:, t].tolist(), base_seeds, confidence)
                    effect_curve["mean"].append(e["paired_mean"])
                    effect_curve["low"].append(e["paired"]["ci"]["low"])
                    effect_curve["high"].append(e["paired"]["ci"]["high"])
                row["effect_curve"] = effect_curve
                row["summary"] = ""
            entry["scenarios"].append(row)
        out["variables"].append(entry)
        if all(variable in run["by_sector"] for g in scenarios for run in g["runs"]):
            levels = [np.vstack([run["by_sector"][variable][0][h] for run in g["runs"]]) for g in scenarios]
            breakdown = {"name": variable, "units": scenarios[0]["runs"][0]["by_sector"][variable][1],
                         "scenarios": [g["label"] for g in scenarios],
                         "horizon_mean": [lv.mean(axis=0).tolist() for lv in levels], "effect": []}
            for k, lv in enumerate(levels):
                effects = []
                if k > 0:
                    for s in range(len(sectors)):
                        e = estimate_effect(lv[:, s].tolist(), matrices[k][1], levels[0][:, s].tolist(), base_seeds,
                                            confidence)
                        effects.append({"pairs": e["pairs"], "paired_mean": e["paired_mean"], "ci": e["paired"]["ci"],
                                        "unpaired_ci": e["unpaired"]["ci"]})
                breakdown["effect"].append(effects)
            out["by_sector"].append(breakdown)
    for group_name, is_sector in (("policy", False), ("policy", True)):
        for name, (values, units, long_name) in reference[group_name].items():
            if (values.ndim == 2) != is_sector:
                continue
            columns = range(len(sectors)) if is_sector else [None]
            for s in columns:
                per = []
                for g in scenarios:
                    entry = g["runs"][0][group_name].get(name)
                    if entry is None:
                        per.append([float("nan")] * len(time))
                    else:
                        per.append((entry[0][:, s] if is_sector else entry[0]).astype(float).tolist())
                moving = any(len(set(v)) > 1 for v in per) or any(v != per[0] for v in per)
                if moving:
                    out["levers"].append({"lever": name, "sector": sectors[s] if is_sector else "", "units": units,
                                          "long_name": long_name, "values": per})
    return out


# ---- plotting ----------------------------------------------------------------------------------

COLOURS = ["#1f2a44", "#d1495b", "#00798c", "#edae49", "#66a182", "#8d6cab", "#2e4057", "#c1666b"]


# Line styles by scenario, so that curves and band edges stay apart where colours are hard to tell
# (three or more scenarios, grey-scale print).
LINESTYLES = ["-", "--", "-.", ":", (0, (5, 1, 1, 1, 1, 1)), (0, (8, 2)), (0, (1, 2)), (0, (3, 1, 3, 3))]


def _colour(k):
    return COLOURS[k % len(COLOURS)]


def _linestyle(k):
    return LINESTYLES[k % len(LINESTYLES)]


def tick_text(value, _position=None):
    """An axis tick as the tables print numbers: thousands separators, no offset or exponent."""
    if not np.isfinite(value):
        return ""
    if value == 0:
        return "0"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.6g}"


def _thousands(axis):
    from matplotlib.ticker import FuncFormatter
    axis.set_major_formatter(FuncFormatter(tick_text))


def _units_text(units):
    return "dimensionless" if units in ("", "1") else units


def _band(axes, time, curve, k, alpha):
    """A scenario's band: shaded, and edged with thin lines in the scenario's own style, so that
    overlapping bands of several scenarios can still be told apart."""
    low, high = _array(curve["low"]), _array(curve["high"])
    axes.fill_between(time, low, high, color=_colour(k), alpha=alpha, lw=0)
    for edge in (low, high):
        axes.plot(time, edge, color=_colour(k), lw=0.7, ls=_linestyle(k), alpha=0.8)


def _array(values):
    return np.array([np.nan if v is None else v for v in values], dtype=float)


def _year(value):
    return f"{value:.0f}" if float(value).is_integer() else f"{value:g}"


class Plotter:
    """Draws the figures of one comparison into a folder and keeps the index."""

    def __init__(self, data, out, formats, dpi):
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        self.plt = plt
        self.data, self.out, self.formats, self.dpi = data, out, formats, dpi
        self.index = []
        plt.rcParams.update({"font.size": 9, "axes.spines.top": False, "axes.spines.right": False,
                             "axes.grid": True, "grid.alpha": 0.25, "svg.hashsalt": "convsim",
                             "svg.fonttype": "none"})

    def save(self, figure, stem, kind, title, caption):
        files = {}
        for fmt in self.formats:
            path = os.path.join(self.out, f"{stem}.{fmt}")
            metadata = {"Date": None} if fmt == "svg" else {"Software": "convsim_plots.py"}
            figure.savefig(path, dpi=self.dpi, bbox_inches="tight", metadata=metadata)
            files[fmt] = f"{stem}.{fmt}"
        self.plt.close(figure)
        self.index.append((files.get("png", ""), files.get("svg", ""), kind, title, caption))

    def curves(self, variable):
        d = self.data
        time = np.asarray(d["time"])
        figure, axes = self.plt.subplots(figsize=(7.5, 4.0))
        for k, row in enumerate(variable["scenarios"]):
            curve = row["curve"]
            axes.plot(time, _array(curve["mean"]), color=_colour(k), lw=1.8, ls=_linestyle(k),
                      label=f"{row['scenario']} (mean of {row['replicates']})")
            if row["replicates"] > 1:
                _band(axes, time, curve, k, 0.12)
        axes.axvline(d["time"][d["horizon_index"]], color="#888888", lw=0.8, ls=":")
        axes.set_xlabel("year")
        axes.set_ylabel(f"{variable['name']} [{variable['units']}]")
        _thousands(axes.yaxis)
        axes.set_title(f"{variable['name']}: {d['scope_description']}")
        axes.legend(frameon=False, fontsize=8)
        band = f"{100 * d['band_level']:g} %"
        self.save(figure, f"curves_{variable['name']}", "curves", f"{variable['name']} by scenario",
                  f"Mean over replicates (line) and the band holding the central {band} of replicates (shaded), "
                  f"{d['scope_description']}; the dotted line marks the horizon {_year(d['horizon_year'])}.")

    def effect(self, variable):
        d = self.data
        time = np.asarray(d["time"])
        level = f"{100 * d['confidence_level']:g} %"
        year = _year(d["horizon_year"])
        figure, (axes, contrast) = self.plt.subplots(1, 2, figsize=(7.5, 3.8), gridspec_kw={"width_ratios": [3, 1]})
        axes.axhline(0, color="#444444", lw=0.8)
        contrast.axhline(0, color="#444444", lw=0.8)
        compared = variable["scenarios"][1:]
        for k, row in enumerate(compared, start=1):
            curve = row["effect_curve"]
            axes.plot(time, _array(curve["mean"]), color=_colour(k), lw=1.8, ls=_linestyle(k), label=row["scenario"])
            if row["replicates"] > 1:
                _band(axes, time, curve, k, 0.16)
            effect = row["horizon_effect"]
            for offset, (name, centre, ci) in enumerate((("paired", effect["paired_mean"], effect["paired"]["ci"]),
                                                         ("unpaired", effect["unpaired_mean"], effect["unpaired"]["ci"]))):
                x = (k - 1) * 2.5 + offset
                if centre is None:
                    continue
                # Paired: filled marker, solid bar; unpaired (Welch): hollow marker, dashed bar.
                style = {"color": _colour(k), "ms": 5, "marker": "o", "ls": "none",
                         "markerfacecolor": _colour(k) if offset == 0 else "white"}
                if ci["available"]:
                    _, _, bars = contrast.errorbar([x], [centre], yerr=[[centre - ci["low"]], [ci["high"] - centre]],
                                                   elinewidth=1.6, capsize=4, **style)
                    if offset == 1:
                        for bar in bars:
                            bar.set_linestyle("--")
                else:
                    contrast.plot([x], [centre], **style)
        # Each pair of intervals is labelled with its scenario; the legend says which is which.
        contrast.set_xticks([(k - 1) * 2.5 + 0.5 for k in range(1, len(compared) + 1)])
        contrast.set_xticklabels([row["scenario"] for row in compared], rotation=30, ha="right", fontsize=8)
        contrast.set_xlim(-0.8, (len(compared) - 1) * 2.5 + 1.8)
        from matplotlib.lines import Line2D
        contrast.legend(handles=[Line2D([], [], color="#444444", marker="o", ls="-", label="paired"),
                                 Line2D([], [], color="#444444", marker="o", markerfacecolor="white", ls="--",
                                        label="unpaired")], frameon=False, fontsize=7)
        contrast.set_title(f"{level} CI in {year}", fontsize=9)
        _thousands(contrast.yaxis)
        axes.set_xlabel("year")
        axes.set_ylabel(f"difference [{variable['units']}]")
        _thousands(axes.yaxis)
        axes.set_title(f"{variable['name']}: scenario minus {d['scenarios'][0]['label']}", fontsize=9)
        axes.legend(frameon=False, fontsize=7)
        figure.tight_layout()
        self.save(figure, f"effect_{variable['name']}", "effect", f"Effect on {variable['name']}",
                  f"Left: paired difference from the baseline (mean over seeds, line) with its {level} confidence "
                  f"interval (shaded; Student t over replicates matched by seed). Right: the effect in {year} with "
                  f"the paired interval and, for contrast, the unpaired (Welch) interval that ignores the pairing.")

    def sectors(self, breakdown):
        d = self.data
        sectors = d["sectors"]
        compared = breakdown["scenarios"][1:]
        if not compared:
            return
        level = f"{100 * d['confidence_level']:g} %"
        figure, axes = self.plt.subplots(figsize=(7.5, 0.9 + 0.32 * len(sectors) * max(1, len(compared)) ** 0.6))
        height = 0.8 / len(compared)
        positions = np.arange(len(sectors))
        for j, label in enumerate(compared, start=1):
            effects = breakdown["effect"][j]
            mean = _array([e["paired_mean"] for e in effects])
            low = _array([e["ci"]["low"] for e in effects])
            high = _array([e["ci"]["high"] for e in effects])
            errors = np.vstack([np.where(np.isnan(low), 0, mean - low), np.where(np.isnan(high), 0, high - mean)])
            y = positions - 0.4 + height * (j - 0.5)
            axes.barh(y, mean, height=height * 0.9, color=_colour(j), alpha=0.85, label=label)
            axes.errorbar(mean, y, xerr=errors, fmt="none", ecolor="#222222", elinewidth=0.9, capsize=2)
        axes.axvline(0, color="#444444", lw=0.8)
        axes.set_yticks(positions)
        axes.set_yticklabels(sectors)
        axes.invert_yaxis()
        axes.set_xlabel(f"difference in {breakdown['name']} in {_year(d['horizon_year'])} [{breakdown['units']}]")
        _thousands(axes.xaxis)
        axes.set_title(f"{breakdown['name']} by sector in {_year(d['horizon_year'])}: scenario minus "
                       f"{breakdown['scenarios'][0]}")
        axes.legend(frameon=False, fontsize=8)
        self.save(figure, f"sectors_{breakdown['name']}", "sectors", f"{breakdown['name']} by sector",
                  f"Paired difference from the baseline by sector in {_year(d['horizon_year'])} with its {level} "
                  f"confidence interval (error bars).")

    def levers(self):
        d = self.data
        levers = d["levers"][:8]
        if not levers:
            return
        time = np.asarray(d["time"])
        columns = 2 if len(levers) > 1 else 1
        rows = (len(levers) + columns - 1) // columns
        figure, grid = self.plt.subplots(rows, columns, figsize=(7.5, 1.9 * rows + 0.4), squeeze=False)
        for i, lever in enumerate(levers):
            axes = grid[i // columns][i % columns]
            for k, values in enumerate(lever["values"]):
                axes.step(time, _array(values), where="post", color=_colour(k), lw=1.6, ls=_linestyle(k),
                          label=d["scenarios"][k]["label"])
            sector = f" ({lever['sector']})" if lever["sector"] else ""
            axes.set_title((lever.get("long_name") or lever["lever"]) + sector, fontsize=9)
            axes.set_ylabel(f"{lever['lever']} [{_units_text(lever['units'])}]", fontsize=8)
            _thousands(axes.yaxis)
        for j in range(len(levers), rows * columns):
            grid[j // columns][j % columns].axis("off")
        grid[0][0].legend(frameon=False, fontsize=7)
        figure.tight_layout()
        self.save(figure, "levers", "levers", "Policy levers in force",
                  "Each lever that moves over time or differs between scenarios, as the scenarios set it "
                  "(first replicate; levers do not depend on the seed).")

    def all(self):
        for variable in self.data["variables"]:
            self.curves(variable)
            if len(variable["scenarios"]) > 1:
                self.effect(variable)
        for breakdown in self.data["by_sector"]:
            self.sectors(breakdown)
        self.levers()
        with open(os.path.join(self.out, "plots.tsv"), "w", encoding="utf-8") as index:
            index.write("png\tsvg\tkind\ttitle\tcaption\n")
            for row in self.index:
                index.write("\t".join(str(x).replace("\t", " ").replace("\n", " ") for x in row) + "\n")
        return self.index


def _finite(value):
    """The data with NaN and infinities as None (null in JSON, as convsim writes them)."""
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    if isinstance(value, (np.floating, np.integer)):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="Plot a convsim scenario comparison (curves with bands, paired effects with intervals, "
                    "effects by sector, lever timelines) as PNG and SVG.",
        epilog="Either --data COMPARISON.json (from convsim compare --plot or --format json) or result files: "
               "BASELINE RESULT..., each FILE[,FILE...] (replicates of one scenario), a directory or a glob.")
    parser.add_argument("results", nargs="*", help="BASELINE then RESULT...: result files of each scenario")
    parser.add_argument("--data", help="comparison JSON written by convsim compare")
    parser.add_argument("--out", default="plots", help="output folder (default: plots)")
    parser.add_argument("--vars", default="output,employment", help="variables (default: output,employment)")
    parser.add_argument("--scope", default="total", help="total, convergence or sector:NAME (default: total)")
    parser.add_argument("--horizon", type=float, help="year of the horizon (default: the last year)")
    parser.add_argument("--confidence", type=float, default=0.95, help="confidence level (default: 0.95)")
    parser.add_argument("--baseline-scenario", default="", help="baseline's scenario name when BASELINE holds several")
    parser.add_argument("--where", action="append", default=[], help="keep only runs with KEY=VALUE (repeatable)")
    parser.add_argument("--formats", default="png,svg", help="image formats (default: png,svg)")
    parser.add_argument("--dpi", type=int, default=100, help="PNG resolution (default: 100)")
    parser.add_argument("--write-data", help="also save the comparison computed from result files as JSON")
    parser.add_argument("--quiet", action="store_true", help="print nothing on success")
    args = parser.parse_args(argv)
    try:
        if args.data:
            if args.results:
                raise InputError("give either --data or result files, not both")
            with open(args.data, encoding="utf-8") as handle:
                data = json.load(handle)
            if data.get("format") != "convsim-comparison-1":
                raise InputError(f"{args.data}: not a convsim comparison (format convsim-comparison-1)")
        else:
            if len(args.results) < 1:
                raise InputError("give result files (BASELINE RESULT...) or --data COMPARISON.json")
            variables = [v.strip() for v in args.vars.split(",") if v.strip()]
            data = compute_comparison(args.results, variables, args.scope, args.horizon, args.confidence,
                                      baseline_scenario=args.baseline_scenario, where=args.where)
            if args.write_data:
                with open(args.write_data, "w", encoding="utf-8") as handle:
                    json.dump(_finite(data), handle, indent=1, allow_nan=False)
        os.makedirs(args.out, exist_ok=True)
        formats = [f.strip() for f in args.formats.split(",") if f.strip()]
        index = Plotter(data, args.out, formats, args.dpi).all()
    except InputError as error:
        print(f"convsim_plots: error: {error}", file=sys.stderr)
        return 2
    if not args.quiet:
        for png, svg, _, title, _ in index:
            print(f"{title}: {os.path.join(args.out, png or svg)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
