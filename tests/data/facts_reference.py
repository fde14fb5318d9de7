"""Reference figures for tests/analysis/facts_test.cpp, computed with numpy and scipy, not convsim.

Run: /usr/bin/python3 tests/data/facts_reference.py   (numpy 1.24.2, scipy 1.10.1)

Reads data/pwt101_korea_1990_2009.csv (Penn World Table 10.1, Korea 1990-2009) and prints
- the s.d. (ddof=1) of the 19 annual log growth rates of rgdpna and its 95 % interval from the
  chi-square distribution with n-1 degrees of freedom: [s sqrt((n-1)/chi2_0.975), s sqrt((n-1)/chi2_0.025)];
- their lag-1 sample autocorrelation sum (g_t - m)(g_t-1 - m) / sum (g_t - m)^2 and r +- 1.96/sqrt(n);
- the mean, min and max of labsh;
- the mean pairwise and mean with-aggregate correlation of the log growth of three series built from
  rgdpna (see the test), with numpy.corrcoef;
- numpy.percentile(1..100, [10, 90]).
With a file name argument it instead fits scipy.stats.gennorm to the numbers in that file (one a line)
and prints b and a = scale / b^(1/b) (the Subbotin width of Bottazzi & Secchi) and loc.
"""
import csv
import os
import sys

import numpy as np
from scipy import stats

if len(sys.argv) > 1:
    x = np.loadtxt(sys.argv[1])
    b, loc, scale = stats.gennorm.fit(x)
    print(f"{b:.12g} {scale / b ** (1.0 / b):.12g} {loc:.12g}")
    sys.exit(0)

here = os.path.dirname(os.path.abspath(__file__))
path = os.path.join(here, "..", "..", "data", "pwt101_korea_1990_2009.csv")
rows = [r for r in csv.reader(open(path)) if r and not r[0].startswith("#")]
header, rows = rows[0], rows[1:]
column = lambda name: np.array([float(r[header.index(name)]) for r in rows])
y = column("rgdpna")
g = np.diff(np.log(y))
n = len(g)
s = g.std(ddof=1)
print(f"n {n} sd {s:.12g}")
print(f"sd_interval {s * np.sqrt((n - 1) / stats.chi2.ppf(0.975, n - 1)):.12g} "
      f"{s * np.sqrt((n - 1) / stats.chi2.ppf(0.025, n - 1)):.12g}")
m = g - g.mean()
r1 = (m[1:] * m[:-1]).sum() / (m * m).sum()
print(f"ac1 {r1:.12g} interval {r1 - 1.96 / np.sqrt(n):.12g} {r1 + 1.96 / np.sqrt(n):.12g}")
labsh = column("labsh")
print(f"labsh mean {labsh.mean():.12g} min {labsh.min():.12g} max {labsh.max():.12g}")
t = np.arange(len(y))
sectors = [0.5 * y, 0.3 * y * (1 + 0.05 * np.sin(t)), 0.2 * y * (1 + 0.04 * np.cos(1.7 * t))]
growth = [np.diff(np.log(v)) for v in sectors]
c = np.corrcoef(growth)
pairs = [c[0, 1], c[0, 2], c[1, 2]]
total = np.diff(np.log(sum(sectors)))
print(f"comovement {np.mean(pairs):.12g} with_aggregate "
      f"{np.mean([np.corrcoef(v, total)[0, 1] for v in growth]):.12g}")
print(f"percentiles {np.percentile(np.arange(1, 101), 10):.12g} {np.percentile(np.arange(1, 101), 90):.12g}")
