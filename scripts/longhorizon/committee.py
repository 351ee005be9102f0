#!/usr/bin/env python3
"""Combining the fitted-highway candidates instead of choosing one (docs/forecasting.md, "A committee of the
candidates"). Every table before chose one candidate per cell on held-out periods, and the choices did not carry to
the test period. Here no choice is made: the forecast is the mean of every candidate's forecast (the candidate set of
the one-standard-error table: cells.candidates(kind, d, one_se=True); each member reads its own look-back), one
committee per seed (1-3: the members' runs with that seed), scored on the protocol's test period; and, as a check of
combining against choosing on a period no choice saw, the seed-1 committee on the backtest split's test period
(models trained on rows 0-5759, scored on 8640-11519) against the candidate that split's own validation MSE picks.

    scripts/longhorizon/committee.py RUN_DIR DATA_DIR [JOBS]   runs the missing ensembles (ettensemble, reads the
                                                               checkpoints; no training), then prints the tables
    scripts/longhorizon/committee.py RUN_DIR --runs DATA_DIR   the seed-2 and -3 runs of every candidate still missing
                                                               (for scripts/longhorizon/runs.sh), for the seeds' spread

Needs a Release build of the benchmarks (dotnet build benchmarks/LstmNative.Benchmarks -c Release) and the seed-1 runs
of scripts/longhorizon/backtest.sh 1.
"""
import concurrent.futures, os, re, statistics, subprocess, sys

import cells
import runreport

runs = sys.argv[1] if len(sys.argv) > 1 else "runs/longhorizon"
CELLS = [(k, d, h) for k in ["mv", "uni"] for d in ["ETTh1", "ETTh2"] for h in cells.HORIZONS]
if len(sys.argv) > 3 and sys.argv[2] == "--runs":
    for kind, d, h in CELLS:
        for seed in [2, 3]:
            for c, _ in cells.candidates(kind, d, one_se=True):
                if runreport.load(runs, f"se-{kind}-{d}-{h}-{c}-s{seed}") is None:
                    print(cells.command("se", kind, d, h, c, seed, sys.argv[3], True))
    sys.exit(0)
data = sys.argv[2] if len(sys.argv) > 2 else "../shared/data"
jobs = int(sys.argv[3]) if len(sys.argv) > 3 else 2
BENCH = "benchmarks/LstmNative.Benchmarks/bin/Release/net10.0/LstmNative.Benchmarks.dll"
PROTOCOLS = {"se": "ett-long", "bt": "ett-long-backtest"}
LINE = re.compile(r"^(\S.*?)\s+MSE ([0-9.]+)\s+MAE ([0-9.]+)")


def members(prefix, kind, d, h, seed=1):
    return [f"{prefix}-{kind}-{d}-{h}-{c}-s{seed}" for c, _ in cells.candidates(kind, d, one_se=True)]


def ensemble(prefix, kind, d, h, seed=1):
    """{member name, 'mean' or 'fits': (MSE, MAE)} of one cell's committee of one seed, from its cached ettensemble
    output ('fits': the same mean with every head at zero, the fitted highways alone); None while a member is missing."""
    out = os.path.join(runs, f"committee-{prefix}-{kind}-{d}-{h}-s{seed}.txt")
    if not os.path.exists(out):
        names = members(prefix, kind, d, h, seed)
        if any(not os.path.exists(os.path.join(runs, n, "model.safetensors")) for n in names):
            return None
        text = subprocess.run(["nice", "-n", "19", "dotnet", "exec", BENCH, "ettensemble", f"{data}/{d}.csv", PROTOCOLS[prefix],
                               str(h), "all" if kind == "mv" else "OT"] + [os.path.join(runs, n) for n in names],
                              check=True, capture_output=True, text=True).stdout
        with open(out + ".tmp", "w") as f:
            f.write(text)
        os.replace(out + ".tmp", out)
    scores = {}
    for line in open(out):
        m = LINE.match(line)
        if not m or "(highway alone)" in m.group(1):
            continue
        name = m.group(1)
        name = ("fits" if "highways alone" in name else "mean") if name.startswith("mean of") else os.path.basename(name)
        scores[name] = (float(m.group(2)), float(m.group(3)))
    return scores


with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
    list(pool.map(lambda a: ensemble(*a), [("bt", *c, 1) for c in CELLS] + [("se", *c, s) for s in [1, 2, 3] for c in CELLS]))


def by_validation(prefix, kind, d, h):
    """The candidate its seed-1 run's validation MSE picks (the kept model's: the fit's when the one-SE rule kept it)."""
    found = {c: runreport.load(runs, f"{prefix}-{kind}-{d}-{h}-{c}-s1") for c, _ in cells.candidates(kind, d, one_se=True)}
    return min(found, key=lambda c: found[c]["val"])


def spread(values):
    mse, mae = [v[0] for v in values], [v[1] for v in values]
    sd = lambda v: statistics.stdev(v) if len(v) > 1 else 0.0
    return statistics.mean(mse), f"{statistics.mean(mse):.4f} ± {sd(mse):.4f} / {statistics.mean(mae):.4f} ± {sd(mae):.4f} (n={len(values)})"


label = {c: text for kind in cells.CANDIDATES for c, text in cells.CANDIDATES[kind]}
wins = {}
for kind, title in [("mv", "multivariate (7 columns in and out, channel-independent)"), ("uni", "univariate OT")]:
    print(f"\n**{title}**: test MSE / MAE on the protocol; the backtest period's test MSE in the last column\n")
    print("| dataset | horizon | members | committee, mean ± sd over seeds | fits alone, averaged | chosen on validation: its seeds | "
          "members, seed 1: best \\| worst | PatchTST/64 | committee below it | backtest: committee \\| chosen on its validation | "
          "CPU s, seed 1's members together |")
    print("|---|---:|---:|---|---|---|---|---|---|---|---:|")
    for d in ["ETTh1", "ETTh2"]:
        for i, h in enumerate(cells.HORIZONS):
            committees = [e for e in (ensemble("se", kind, d, h, s) for s in [1, 2, 3]) if e is not None]
            if not committees:
                continue
            se, pub = committees[0], cells.PATCHTST64[(kind, d)][i]
            mean, text = spread([e["mean"] for e in committees])
            v = by_validation("se", kind, d, h)
            chosen = [r for r in (runreport.load(runs, f"se-{kind}-{d}-{h}-{v}-s{s}") for s in [1, 2, 3]) if r is not None]
            ranked = sorted(x[0] for n, x in se.items() if n not in ("mean", "fits"))
            wins[(kind, d, h)] = mean < pub[0]
            bt, backtest = ensemble("bt", kind, d, h), "–"
            if bt is not None:
                bv = by_validation("bt", kind, d, h)
                backtest = f"{bt['mean'][0]:.4f} \\| {bt[f'bt-{kind}-{d}-{h}-{bv}-s1'][0]:.4f} ({label[bv]})"
            print(f"| {d} | {h} | {len(ranked)} | {text} | {se['fits'][0]:.4f} / {se['fits'][1]:.4f} | "
                  f"{label[v]}: {spread([(r['mse'], r['mae']) for r in chosen])[1]} | {ranked[0]:.4f} \\| {ranked[-1]:.4f} | "
                  f"{pub[0]:.3f} / {pub[1]:.3f} | {'yes' if wins[(kind, d, h)] else 'no'} | {backtest} | "
                  f"{sum(runreport.load(runs, n)['cpu'] for n in members('se', kind, d, h)):.0f} |")
for kind in ["mv", "uni"]:
    k = [c for c in wins if c[0] == kind]
    print(f"\n{kind}: committee below PatchTST/64 at {sum(wins[c] for c in k)} of {len(k)} cells")
