#!/usr/bin/python3
"""Plots of ``convsim sensitivity MERGED.h5 ... --plot DIR``: sensitivity indices and the outcome
(or paired policy effect) against each design parameter.

The CLI writes ``DIR/sensitivity.json`` (format ``convsim-sensitivity-1``) and runs
``convsim_sensitivity_plots.py --data DIR/sensitivity.json --out DIR``. For each scenario (or
policy, with ``--effect-against``) it draws

* ``indices_<scenario>``: Sobol' S1 and ST as bars with their bootstrap 95 % intervals (sobol
  designs), or Morris mu* with its interval and sigma (morris designs);
* ``against_<scenario>``: one panel per parameter, each design point's mean over replicates with a
  bar from the lowest to the highest replicate (the band over replicates), and the mean of the
  points in bins of the parameter (any design: grid, random, latin_hypercube, sobol, morris).

Writes PNG and SVG files and an index ``plots.tsv`` (png, svg, kind, title). Needs Debian's
python3-matplotlib and python3-numpy; runs with /usr/bin/python3.
"""

import argparse
import json
import math
import os
import re
import sys

import numpy as np

FORMAT = "convsim-sensitivity-1"


def _number(value):
    return float("nan") if value is None else float(value)


def _slug(text):
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_") or "set"


class Plotter:
    def __init__(self, out, dpi=110):
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        self.plt = plt
        self.out = out
        self.dpi = dpi
        self.index = []

    def save(self, figure, stem, kind, title):
        files = []
        for extension in ("png", "svg"):
            path = os.path.join(self.out, stem + "." + extension)
            figure.savefig(path, dpi=self.dpi, bbox_inches="tight")
            files.append(os.path.basename(path))
        self.plt.close(figure)
        self.index.append((files[0], files[1], kind, title))

    def write_index(self):
        with open(os.path.join(self.out, "plots.tsv"), "w", encoding="utf-8") as f:
            f.write("png\tsvg\tkind\ttitle\n")
            for row in self.index:
                f.write("\t".join(row) + "\n")


def plot_indices(plotter, data, entry):
    parameters = data["parameters"]
    y = np.arange(len(parameters))
    if "sobol" in entry:
        fig, ax = plotter.plt.subplots(figsize=(7.5, 0.5 * len(parameters) + 1.8))
        height = 0.38
        for offset, name, colour in ((-height / 2, "S1", "#4472c4"), (height / 2, "ST", "#ed7d31")):
            value = np.array([_number(i[name]["value"]) for i in entry["sobol"]])
            low = np.array([_number(i[name]["low"]) for i in entry["sobol"]])
            high = np.array([_number(i[name]["high"]) for i in entry["sobol"]])
            error = np.vstack([np.maximum(value - low, 0), np.maximum(high - value, 0)])
            ax.barh(y + offset, value, height, xerr=error, color=colour, label=name, capsize=3)
        ax.axvline(0, color="black", linewidth=0.8)
        # Indices live in [0, 1]; small samples give estimates and intervals far outside it,
        # which would squash the rest: the axis stops at [-1, 2] and says so.
        extent = [_number(i[name][end]) for i in entry["sobol"] for name in ("S1", "ST") for end in ("low", "high")]
        extent = [e for e in extent if math.isfinite(e)]
        label = "Sobol' index (bars: 95 % bootstrap interval)"
        if extent and (min(extent) < -1 or max(extent) > 2):
            ax.set_xlim(max(-1.0, min(extent) - 0.05), min(2.0, max(extent) + 0.05))
            label += "; axis clipped to [-1, 2]"
        ax.set_xlabel(label)
        noise = entry.get("noise", {}).get("share")
        note = "" if noise is None or not math.isfinite(_number(noise)) else f"; seed noise {100 * _number(noise):.1f} % of single-run variance"
        title = f"{entry['title']}, {data['year']:g}: N = {entry.get('n')}{note}"
    elif "morris" in entry:
        fig, ax = plotter.plt.subplots(figsize=(7.5, 0.5 * len(parameters) + 1.8))
        value = np.array([_number(i["mu_star"]["value"]) for i in entry["morris"]])
        low = np.array([_number(i["mu_star"]["low"]) for i in entry["morris"]])
        high = np.array([_number(i["mu_star"]["high"]) for i in entry["morris"]])
        sigma = np.array([_number(i["sigma"]) for i in entry["morris"]])
        error = np.vstack([np.maximum(value - low, 0), np.maximum(high - value, 0)])
        ax.barh(y - 0.19, value, 0.38, xerr=error, color="#4472c4", label="mu*", capsize=3)
        ax.barh(y + 0.19, sigma, 0.38, color="#a5a5a5", label="sigma")
        ax.set_xlabel(f"elementary effect on {data['variable']} per whole range ({data['units']})")
        title = f"{entry['title']}, {data['year']:g}: Morris"
    else:
        return
    ax.set_yticks(y)
    ax.set_yticklabels(parameters)
    ax.invert_yaxis()
    ax.legend(loc="lower right")
    ax.set_title(title, fontsize=9)
    plotter.save(fig, "indices_" + _slug(entry["scenario"]), "indices", title)


def plot_against(plotter, data, entry):
    parameters = data["parameters"]
    points = entry.get("points", [])
    if not points:
        return
    x = np.array([[_number(v) for v in p["x"]] for p in points])
    mean = np.array([_number(p["mean"]) for p in points])
    low = np.array([_number(p["low"]) for p in points])
    high = np.array([_number(p["high"]) for p in points])
    columns = min(3, len(parameters))
    rows = int(math.ceil(len(parameters) / columns))
    fig, axes = plotter.plt.subplots(rows, columns, figsize=(4.2 * columns, 3.2 * rows), squeeze=False)
    for i, name in enumerate(parameters):
        ax = axes[i // columns][i % columns]
        xi = x[:, i]
        keep = np.isfinite(xi) & np.isfinite(mean)
        if not keep.any():
            ax.set_title(name + " (not numeric)", fontsize=8)
            continue
        ax.errorbar(xi[keep], mean[keep], yerr=np.vstack([mean[keep] - low[keep], high[keep] - mean[keep]]),
                    fmt="o", markersize=3, alpha=0.5, color="#4472c4", ecolor="#9dc3e6", elinewidth=1,
                    label="point: mean, range over replicates")
        # The mean over points in bins of this parameter: its marginal trend.
        values = np.unique(xi[keep])
        if len(values) <= 12:
            centres = values
            trend = np.array([mean[keep][xi[keep] == v].mean() for v in values])
        else:
            edges = np.quantile(xi[keep], np.linspace(0, 1, 9))
            which = np.clip(np.searchsorted(edges, xi[keep], side="right") - 1, 0, 7)
            centres = np.array([xi[keep][which == b].mean() for b in range(8) if (which == b).any()])
            trend = np.array([mean[keep][which == b].mean() for b in range(8) if (which == b).any()])
        ax.plot(centres, trend, color="#c00000", linewidth=1.5, label="mean over points")
        if entry.get("baseline"):
            ax.axhline(0, color="black", linewidth=0.7)
        ax.set_xlabel(name, fontsize=8)
        ax.tick_params(labelsize=7)
        if i == 0:
            ax.legend(fontsize=6)
    for j in range(len(parameters), rows * columns):
        axes[j // columns][j % columns].axis("off")
    ylabel = ("effect on " if entry.get("baseline") else "") + f"{data['variable']} ({data['units']})"
    fig.supylabel(ylabel, fontsize=9)
    title = f"{entry['title']}, {data['year']:g}, against each parameter"
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    plotter.save(fig, "against_" + _slug(entry["scenario"]), "against", title)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", required=True, help="sensitivity.json written by convsim sensitivity --plot")
    parser.add_argument("--out", required=True, help="folder for the PNG and SVG files")
    args = parser.parse_args(argv)
    try:
        with open(args.data, encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError) as error:
        print(f"convsim_sensitivity_plots.py: error: {args.data}: {error}", file=sys.stderr)
        return 2
    if data.get("format") != FORMAT:
        print(f"convsim_sensitivity_plots.py: error: {args.data}: not {FORMAT}", file=sys.stderr)
        return 2
    os.makedirs(args.out, exist_ok=True)
    plotter = Plotter(args.out)
    for entry in data["sets"]:
        plot_indices(plotter, data, entry)
        plot_against(plotter, data, entry)
    plotter.write_index()
    return 0


if __name__ == "__main__":
    sys.exit(main())
