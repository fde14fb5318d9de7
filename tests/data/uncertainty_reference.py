"""Independent reference for convsim's split of an effect's uncertainty (docs/analysis.md,
"Parameter uncertainty"): reads a CSV of d, z1..zK (one row per paired replicate) and prints
mean, noise_sd, parameter_variance, noise_low, noise_high, total_low, total_high, one per line.
numpy least squares on the raw z with a constant (the fit does not depend on standardising),
scipy's Student t quantile.
Usage: /usr/bin/python3 uncertainty_reference.py FILE.csv LEVEL"""
import sys

import numpy as np
from scipy import stats

data = np.loadtxt(sys.argv[1], delimiter=",", ndmin=2)
level = float(sys.argv[2])
d, z = data[:, 0], data[:, 1:]
n, k = z.shape
x = np.column_stack([np.ones(n), z])
beta, *_ = np.linalg.lstsq(x, d, rcond=None)
fitted = x @ beta
rss = float(np.sum((d - fitted) ** 2))
df = n - k - 1
noise_var = rss / df
param_var = float(np.sum((fitted - d.mean()) ** 2) / (n - 1))
t = stats.t.ppf(0.5 + 0.5 * level, df)
noise_half = t * np.sqrt(noise_var / n)
total_half = t * np.sqrt(param_var + noise_var / n)
m = d.mean()
for value in (m, np.sqrt(noise_var), param_var, m - noise_half, m + noise_half, m - total_half, m + total_half):
    print(repr(float(value)))
