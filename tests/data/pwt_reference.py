#!/usr/bin/python3
"""Independent reference figures for the Solow regression on the Penn World Table Korea data.

Computes ln Y = c + b_K ln K + b_L ln L + b_A ln A on tests/data/pwt101_korea_1990_2009.csv
(Y = rgdpna, K = rnna, L = emp, A = hc) with numpy.linalg.lstsq (an SVD solver, no code shared
with convsim), then the textbook formulas:

  classic:     V = s^2 (X'X)^-1,                         s^2 = e'e / (n - k)
  HC1:         V = n/(n-k) (X'X)^-1 X' diag(e^2) X (X'X)^-1
  Newey-West:  V = n/(n-k) (X'X)^-1 S (X'X)^-1,
               S = sum_t e_t^2 x_t x_t' + sum_{l=1..L} (1 - l/(L+1)) sum_{t>l} e_t e_{t-l} (x_t x_{t-l}' + x_{t-l} x_t')
               with L = floor(4 (n/100)^(2/9)) = 2 for n = 20, and also L = 3
  t = b / se, two-sided p from Student t with n - k degrees of freedom (scipy.stats.t),
  F = (R^2/(k-1)) / ((1-R^2)/(n-k)) with p from scipy.stats.f, Durbin-Watson = sum(diff e)^2 / e'e,
  log-likelihood = -n/2 (ln(2 pi) + ln(e'e/n) + 1), AIC = -2 llf + 2k, BIC = -2 llf + k ln n.

The convsim tests hard-code the printed numbers (they never run Python). Run it with:
  /usr/bin/python3 tests/data/pwt_reference.py
"""
import csv
import math
import os

import numpy as np
from scipy import stats

HERE = os.path.dirname(os.path.abspath(__file__))


def read_pwt(path):
    with open(path, newline="") as handle:
        rows = [line for line in handle if not line.startswith("#")]
    records = list(csv.DictReader(rows))
    return {name: np.array([float(r[name]) for r in records]) for name in records[0] if name != "countrycode"}


def newey_west_meat(X, e, lags):
    meat = (X * (e**2)[:, None]).T @ X
    for lag in range(1, lags + 1):
        weight = 1.0 - lag / (lags + 1.0)
        cross = (X[lag:] * (e[lag:] * e[:-lag])[:, None]).T @ X[:-lag]
        meat += weight * (cross + cross.T)
    return meat


def main():
    data = read_pwt(os.path.join(HERE, "pwt101_korea_1990_2009.csv"))
    y = np.log(data["rgdpna"])
    X = np.column_stack([np.ones_like(y), np.log(data["rnna"]), np.log(data["emp"]), np.log(data["hc"])])
    n, k = X.shape
    b, _, rank, _ = np.linalg.lstsq(X, y, rcond=None)
    assert rank == k
    e = y - X @ b
    ssr = float(e @ e)
    tss = float(((y - y.mean()) ** 2).sum())
    r2 = 1.0 - ssr / tss
    adj_r2 = 1.0 - (1.0 - r2) * (n - 1) / (n - k)
    s2 = ssr / (n - k)
    xtx_inv = np.linalg.inv(X.T @ X)
    f_stat = (r2 / (k - 1)) / ((1.0 - r2) / (n - k))
    dw = float(np.sum(np.diff(e) ** 2) / ssr)
    llf = -n / 2.0 * (math.log(2 * math.pi) + math.log(ssr / n) + 1.0)

    def report(label, cov):
        se = np.sqrt(np.diag(cov))
        t = b / se
        p = 2.0 * stats.t.sf(np.abs(t), n - k)
        q = stats.t.ppf(0.975, n - k)
        print(f"[{label}]")
        for name, bi, si, ti, pi in zip(["const", "lnK", "lnL", "lnA"], b, se, t, p):
            print(f"  {name:6s} coef {bi:.12g} se {si:.12g} t {ti:.12g} p {pi:.12g} "
                  f"ci [{bi - q * si:.12g}, {bi + q * si:.12g}]")

    print(f"n {n} k {k}")
    print(f"r2 {r2:.12g} adj_r2 {adj_r2:.12g} sigma {math.sqrt(s2):.12g}")
    print(f"F {f_stat:.12g} p(F) {stats.f.sf(f_stat, k - 1, n - k):.12g}")
    print(f"DW {dw:.12g} llf {llf:.12g} aic {-2 * llf + 2 * k:.12g} bic {-2 * llf + k * math.log(n):.12g}")
    report("classic", s2 * xtx_inv)
    report("HC1", n / (n - k) * xtx_inv @ newey_west_meat(X, e, 0) @ xtx_inv)
    lags = int(math.floor(4 * (n / 100.0) ** (2.0 / 9.0)))
    print(f"default Newey-West lags {lags}")
    report(f"Newey-West L={lags}", n / (n - k) * xtx_inv @ newey_west_meat(X, e, lags) @ xtx_inv)
    report("Newey-West L=3", n / (n - k) * xtx_inv @ newey_west_meat(X, e, 3) @ xtx_inv)
    # Wald F of the slopes under a robust covariance (what convsim reports as F with --cov hc1/hac).
    slopes = b[1:]
    for label, meat_lags in [("HC1", 0), (f"Newey-West L={lags}", lags)]:
        robust = n / (n - k) * xtx_inv @ newey_west_meat(X, e, meat_lags) @ xtx_inv
        wald_f = float(slopes @ np.linalg.solve(robust[1:, 1:], slopes)) / (k - 1)
        print(f"{label} Wald F {wald_f:.12g} p {stats.f.sf(wald_f, k - 1, n - k):.12g}")

    logs = {"lnY": y, "lnK": X[:, 1], "lnL": X[:, 2], "lnA": X[:, 3]}
    for name, v in logs.items():
        print(f"{name} mean {v.mean():.12g} median {np.median(v):.12g} sd {v.std(ddof=1):.12g} "
              f"min {v.min():.12g} max {v.max():.12g}")
    corr = np.corrcoef(X[:, 1:].T)
    print(f"corr K-L {corr[0, 1]:.12g} K-A {corr[0, 2]:.12g} L-A {corr[1, 2]:.12g}")
    print(f"labsh mean {data['labsh'].mean():.12g}")


if __name__ == "__main__":
    main()
