#!/usr/bin/env python3
"""Fits statsmodels' SARIMAX on ETTh1 HUFL (the ETT training split, rows 0..8639, raw values) and writes the
coefficients and a 48-step forecast from the end of the split to statsmodels_reference.json, which the C# test
ArimaStatsmodelsTests compares against. Not a CI dependency: run by hand (apt-get install python3-statsmodels):
    /usr/bin/python3 scripts/arima/statsmodels_check.py ../shared/data/ETTh1.csv
simple_differencing=True and trend='n' match the C# model: ARMA on the seasonally differenced series, no constant."""
import json, sys, time, csv
import numpy as np
from statsmodels.tsa.statespace.sarimax import SARIMAX
import statsmodels

path = sys.argv[1] if len(sys.argv) > 1 else "../shared/data/ETTh1.csv"
with open(path) as f:
    rows = list(csv.DictReader(f))
y = np.array([float(r["HUFL"]) for r in rows[:8640]])
cases = []
for order, seasonal in [((1, 0, 1), (1, 1, 1, 24)), ((2, 1, 1), (0, 0, 0, 0))]:
    model = SARIMAX(y, order=order, seasonal_order=seasonal, trend="n", simple_differencing=True)
    start = time.perf_counter()
    fit = model.fit(disp=False, maxiter=500)
    seconds = time.perf_counter() - start
    # simple_differencing drops the first d+sD rows; the forecast of the differenced series is integrated back here.
    w_forecast = fit.forecast(48)
    d, D, s = order[1], seasonal[1], seasonal[3]
    hist = list(y)
    out = []
    for h in range(48):
        # y_t = w_t − Σ δ_k y_{t−k} with δ(B) = (1−B)^d (1−B^s)^D
        delta = np.array([1.0])
        for _ in range(d):
            delta = np.convolve(delta, [1, -1])
        for _ in range(D):
            delta = np.convolve(delta, np.r_[1, np.zeros(s - 1), -1])
        v = w_forecast[h] - sum(delta[k] * hist[-k] for k in range(1, len(delta)))
        hist.append(v)
        out.append(v)
    case = {"order": list(order) + list(seasonal), "params": dict(zip(fit.model.param_names, map(float, fit.params))),
            "loglik": float(fit.llf), "aic": float(fit.aic), "forecast": out, "seconds": seconds}
    cases.append(case)
    print(order, seasonal, {k: round(v, 4) for k, v in case["params"].items()}, "llf", round(fit.llf, 2), f"{seconds:.1f}s")
with open(__file__.replace("statsmodels_check.py", "statsmodels_reference.json"), "w") as f:
    json.dump({"statsmodels": statsmodels.__version__, "data": "ETTh1.csv HUFL rows 0..8639", "cases": cases}, f, indent=1)
