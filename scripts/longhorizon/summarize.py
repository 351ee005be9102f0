#!/usr/bin/env python3
"""Tables of the long-horizon runs (scripts/longhorizon/run.sh) beside the published rows.

    scripts/longhorizon/summarize.py [RUN_DIR] [SHARED_DATA_DIR]     defaults: runs/longhorizon ../shared/data

Multivariate: our LSTM (mean and spread over the seeds found), the closed-form linear baselines of the seed-1 run,
and PatchTST/64, PatchTST/42, DLinear from ett_published_longhorizon_multivariate.csv. Univariate: our LSTM and
baselines beside the published univariate rows, which are copied below from their sources (docs/forecasting.md says
where each number comes from).
"""
import csv, json, os, statistics, sys

import cells

runs = sys.argv[1] if len(sys.argv) > 1 else "runs/longhorizon"
shared = sys.argv[2] if len(sys.argv) > 2 else "../shared/data"
HORIZONS = cells.HORIZONS

# PatchTST (Nie et al., ICLR 2023), appendix A.3, Table 8 (univariate, OT; its DLinear column is cited from Zeng et al.).
PUBLISHED_UNIVARIATE = {
    ("ETTh1", "PatchTST/64"): [(0.059, 0.189), (0.074, 0.215), (0.076, 0.220), (0.087, 0.236)],
    ("ETTh1", "PatchTST/42"): [(0.055, 0.179), (0.071, 0.205), (0.081, 0.225), (0.087, 0.232)],
    ("ETTh1", "DLinear"): [(0.056, 0.180), (0.071, 0.204), (0.098, 0.244), (0.189, 0.359)],
    ("ETTh2", "PatchTST/64"): [(0.131, 0.284), (0.171, 0.329), (0.171, 0.336), (0.223, 0.380)],
    ("ETTh2", "PatchTST/42"): [(0.129, 0.282), (0.168, 0.328), (0.185, 0.351), (0.224, 0.383)],
    ("ETTh2", "DLinear"): [(0.131, 0.279), (0.176, 0.329), (0.209, 0.367), (0.276, 0.426)],
}


def load(name):
    path = os.path.join(runs, name + ".json")
    if not os.path.exists(path):
        return None
    report = json.load(open(path))
    cpu = float("nan")
    timing = os.path.join(runs, name + ".time")
    if os.path.exists(timing):
        words = open(timing).read().split()
        if "cpu" in words:
            cpu = sum(float(v) for v in words[words.index("cpu") + 1].split("+"))
    results = {r["name"]: (r["mse"], r["mae"]) for r in report["results"]}
    return {"results": results, "best": report["bestEpoch"], "epochs": len(report["epochs"]),
            "run": report["runTimeSeconds"], "train": report["trainSeconds"], "cpu": cpu}


def baseline(results, prefix):
    return next((v for k, v in results.items() if k.startswith(prefix)), None)


def f(pair):
    return "–" if pair is None else f"{pair[0]:.3f} / {pair[1]:.3f}"


def times(seeds):
    return ", ".join(f"{r['cpu']:.0f} / {r['run']:.0f}" for r in seeds)


def g(pair):  # ours: four decimals, because several published rows are within 0.001 of them
    return "–" if pair is None else f"{pair[0]:.4f} / {pair[1]:.4f}"


def published_multivariate():
    table = {}
    path = os.path.join(shared, "ett_published_longhorizon_multivariate.csv")
    if os.path.exists(path):
        for row in csv.DictReader(open(path)):
            table[(row["dataset"], int(row["horizon"]), row["model"])] = (float(row["mse"]), float(row["mae"]))
    return table


pub = published_multivariate()
for dataset in ["ETTh1", "ETTh2"]:
    print(f"\n{dataset}, multivariate (7 columns in and out), look-back 336\n")
    print("| horizon | LSTM seed 1 | LSTM mean ± sd (seeds) | PatchTST/64 | PatchTST/42 | DLinear (pub.) | DLinear, closed form (ours) | persistence | goal met | best epoch | CPU s / wall s per run |")
    print("|---:|---|---|---|---|---|---|---|---|---|---|")
    for i, h in enumerate(HORIZONS):
        seeds = [r for r in (load(f"mv-{dataset}-{h}-s{s}") for s in (1, 2, 3)) if r]
        if not seeds:
            continue
        first = seeds[0]
        mse = [r["results"]["LSTM"][0] for r in seeds]
        mae = [r["results"]["LSTM"][1] for r in seeds]
        spread = (f"{statistics.mean(mse):.4f} ± {statistics.stdev(mse):.4f} / {statistics.mean(mae):.4f} ± {statistics.stdev(mae):.4f} (n={len(seeds)})"
                  if len(seeds) > 1 else "–")
        goal = pub.get((dataset, h, "PatchTST/64"))
        met = "–" if goal is None else ("yes" if statistics.mean(mse) < goal[0] else "no")
        print(f"| {h} | {g(first['results']['LSTM'])} | {spread} | {f(pub.get((dataset, h, 'PatchTST/64')))} | {f(pub.get((dataset, h, 'PatchTST/42')))} "
              f"| {f(pub.get((dataset, h, 'DLinear')))} | {g(baseline(first['results'], 'DLinear'))} | {g(first['results']['persistence'])} | {met} "
              f"| {', '.join(str(r['best']) + '/' + str(r['epochs']) for r in seeds)} | {times(seeds)} |")

print("\nLook-back 512 (patch 16, 32 LSTM steps), multivariate\n")
print("| dataset | horizon | LSTM, look-back 512, seed 1 | mean ± sd (seeds) | LSTM, look-back 336 (seed 1) | PatchTST/64 (look-back 512) | goal met | best epoch | CPU s / wall s |")
print("|---|---:|---|---|---|---|---|---|---|")
for dataset in ["ETTh1", "ETTh2"]:
    for h in HORIZONS:
        r = load(f"mv-{dataset}-{h}-L512-s1")
        if not r:
            continue
        seeds = [r] + [x for x in (load(f"mv-{dataset}-{h}-L512-s{s}") for s in (2, 3)) if x]
        mse = [x["results"]["LSTM"][0] for x in seeds]
        mae = [x["results"]["LSTM"][1] for x in seeds]
        spread = (f"{statistics.mean(mse):.4f} ± {statistics.stdev(mse):.4f} / {statistics.mean(mae):.4f} ± {statistics.stdev(mae):.4f} (n={len(seeds)})"
                  if len(seeds) > 1 else "–")
        short = load(f"mv-{dataset}-{h}-s1")
        goal = pub.get((dataset, h, "PatchTST/64"))
        met = "–" if goal is None else ("yes" if statistics.mean(mse) < goal[0] else "no")
        print(f"| {dataset} | {h} | {g(r['results']['LSTM'])} | {spread} | {g(short['results']['LSTM']) if short else '–'} | {f(goal)} | {met} "
              f"| {', '.join(str(x['best']) + '/' + str(x['epochs']) for x in seeds)} | {times(seeds)} |")

for dataset in ["ETTh1", "ETTh2"]:
    print(f"\n{dataset}, univariate (OT in and out), look-back 336\n")
    print("| horizon | LSTM seed 1 | LSTM mean ± sd (seeds) | PatchTST/64 | PatchTST/42 | DLinear (pub.) | DLinear, closed form (ours) | persistence | goal met | best epoch | CPU s / wall s |")
    print("|---:|---|---|---|---|---|---|---|---|---|---|")
    for i, h in enumerate(HORIZONS):
        r = load(f"uni-{dataset}-{h}")
        if not r:
            continue
        seeds = [r] + [x for x in (load(f"uni-{dataset}-{h}-s{s}") for s in (2, 3)) if x]
        mse = [x["results"]["LSTM"][0] for x in seeds]
        mae = [x["results"]["LSTM"][1] for x in seeds]
        spread = (f"{statistics.mean(mse):.4f} ± {statistics.stdev(mse):.4f} / {statistics.mean(mae):.4f} ± {statistics.stdev(mae):.4f} (n={len(seeds)})"
                  if len(seeds) > 1 else "–")
        goal = PUBLISHED_UNIVARIATE[(dataset, "PatchTST/64")][i]
        met = "yes" if statistics.mean(mse) < goal[0] else "no"
        print(f"| {h} | {g(r['results']['LSTM'])} | {spread} | {f(goal)} | {f(PUBLISHED_UNIVARIATE[(dataset, 'PatchTST/42')][i])} "
              f"| {f(PUBLISHED_UNIVARIATE[(dataset, 'DLinear')][i])} | {g(baseline(r['results'], 'DLinear'))} | {g(r['results']['persistence'])} | {met} "
              f"| {', '.join(str(x['best']) + '/' + str(x['epochs']) for x in seeds)} | {times(seeds)} |")

print("\nAblations (ETTh1, multivariate, horizon 96, seed 1)\n")
print("| run | MSE / MAE | best epoch | CPU s / wall s |")
print("|---|---|---|---|")
for name in ["mv-ETTh1-96-s1", "mv-ETTh1-96-p16-s1", "mv-ETTh1-96-L512-s1", "mv-ETTh1-96-nohw-s1"]:
    r = load(name)
    if r:
        print(f"| {name} | {g(r['results']['LSTM'])} | {r['best']}/{r['epochs']} | {r['cpu']:.0f} / {r['run']:.0f} |")
