#!/usr/bin/env python3
"""The fitted-highway tables of docs/forecasting.md (runs of scripts/longhorizon/ridge-init.sh): each candidate's
validation and test MSE (seed 1), the candidate chosen on the validation MSE alone, and the seed mean and spread of
what was chosen next to PatchTST/64.

    scripts/longhorizon/ridge.py [RUN_DIR]                  the tables (default RUN_DIR: runs/longhorizon)
    scripts/longhorizon/ridge.py RUN_DIR --next DATA_DIR    the stage-2 runs (seeds 2-3 of each chosen candidate)
    scripts/longhorizon/ridge.py RUN_DIR --chosen           "KIND DATASET HORIZON WINDOW RUN_PREFIX" per chosen candidate
    scripts/longhorizon/ridge.py RUN_DIR --fixed-next DATA_DIR   seeds 2-3 of the one setting for every cell (FIXED)
    ... --rule one-se                                       any of these for the runs trained with --epoch-choice one-se

A run's validation MSE is the best of its epochs and of "epoch 0" (the fitted highway alone, before the LSTM trained);
the test MSE is read only after the choice, to report it.
"""
import statistics, sys

import cells
import runreport

runs = sys.argv[1] if len(sys.argv) > 1 else "runs/longhorizon"
# --rule one-se: the runs of `RULE=one-se ridge-init.sh` (named se-..., trained with --epoch-choice one-se)
ONE_SE = "--rule" in sys.argv and sys.argv[sys.argv.index("--rule") + 1] == "one-se"
PREFIX = "se" if ONE_SE else "rg"
HORIZONS = cells.HORIZONS
PATCHTST64 = cells.PATCHTST64
CANDIDATES = {kind: cells.candidates(kind, "ETTh2", ONE_SE) for kind in ["mv", "uni"]}


def load(name):
    return runreport.load(runs, name)


def chosen(kind, d, h):
    results = [(c, load(f"{PREFIX}-{kind}-{d}-{h}-{c}-s1")) for c, _ in CANDIDATES[kind]]
    results = [(c, r) for c, r in results if r is not None]
    return min(results, key=lambda cr: cr[1]["val"])[0] if results else None


def command(kind, d, h, c, seed, data):
    return cells.command(PREFIX, kind, d, h, c, seed, data, ONE_SE)


def chosen_cells():
    """(kind, dataset, horizon, candidate) for every cell whose seed-1 candidates have run, with the one chosen."""
    for kind in ["mv", "uni"]:
        for d in ["ETTh1", "ETTh2"]:
            for h in HORIZONS:
                c = chosen(kind, d, h)
                if c is not None:
                    yield kind, d, h, c


# One setting for every cell instead of a choice per cell: PatchTST/64's look-back (512), the highway frozen at the
# fit; univariate trained on every column's windows (--train-columns all).
FIXED = {"mv": ("fz512", "frozen, 512"), "uni": ("pool512", "all columns, 512")}

if len(sys.argv) > 3 and sys.argv[2] == "--fixed-next":
    for kind in ["mv", "uni"]:
        for d in ["ETTh1", "ETTh2"]:
            for h in HORIZONS:
                for seed in [2, 3]:
                    if load(f"{PREFIX}-{kind}-{d}-{h}-{FIXED[kind][0]}-s{seed}") is None:
                        print(command(kind, d, h, FIXED[kind][0], seed, sys.argv[3]))
    sys.exit(0)

if len(sys.argv) > 3 and sys.argv[2] == "--next":
    for kind, d, h, c in chosen_cells():
        for seed in [2, 3]:
            if load(f"{PREFIX}-{kind}-{d}-{h}-{c}-s{seed}") is None:
                print(command(kind, d, h, c, seed, sys.argv[3]))
    sys.exit(0)

if len(sys.argv) > 2 and sys.argv[2] == "--chosen":
    for kind, d, h, c in chosen_cells():
        print(kind, d, h, 512 if "512" in c else 336, f"{PREFIX}-{kind}-{d}-{h}-{c}")
    sys.exit(0)

for kind, title in [("mv", "multivariate (7 columns in and out, channel-independent)"), ("uni", "univariate OT")]:
    print(f"\n**{title}**: validation \\| test MSE / MAE of seed 1 per candidate; the chosen one's seeds\n")
    cands = CANDIDATES[kind]
    extra = " | fit kept by the rule | same runs, best epoch kept: mean | fit alone: mean" if ONE_SE else ""
    print("| dataset | horizon | " + " | ".join(label for _, label in cands) +
          " | chosen | best epochs | chosen, mean ± sd (MSE / MAE) | PatchTST/64 | below it | CPU s per run" + extra + " |")
    print("|---|---:|" + "---|" * len(cands) + "---|---|---|---|---|---|" + ("---|---|---|" if ONE_SE else ""))
    for d in ["ETTh1", "ETTh2"]:
        for i, h in enumerate(HORIZONS):
            row = [d, str(h)]
            for c, _ in cands:
                r = load(f"{PREFIX}-{kind}-{d}-{h}-{c}-s1")
                row.append("–" if r is None else f"{r['val']:.4f} \\| {r['mse']:.4f} / {r['mae']:.4f}")
            c = chosen(kind, d, h)
            seeds = [load(f"{PREFIX}-{kind}-{d}-{h}-{c}-s{s}") for s in [1, 2, 3]] if c else []
            seeds = [s for s in seeds if s is not None]
            pub = PATCHTST64[(kind, d)][i]
            if seeds:
                mse = [s["mse"] for s in seeds]
                mae = [s["mae"] for s in seeds]
                sd = lambda v: statistics.stdev(v) if len(v) > 1 else 0.0
                mean = f"{statistics.mean(mse):.4f} ± {sd(mse):.4f} / {statistics.mean(mae):.4f} ± {sd(mae):.4f} (n={len(seeds)})"
                below = "yes" if statistics.mean(mse) < pub[0] else "no"
                best = ", ".join(f"{s['best']}/{s['epochs']}" for s in seeds)
                cpu = ", ".join(f"{s['cpu']:.0f}" for s in seeds)
            else:
                mean = below = best = cpu = "–"
            label = dict(cands).get(c, "–")
            row += [label, best, mean, f"{pub[0]:.3f} / {pub[1]:.3f}", below, cpu]
            if ONE_SE:
                if seeds:
                    row += [f"{sum(s['kept_fit'] for s in seeds)} of {len(seeds)}",
                            f"{statistics.mean(s['plain_mse'] for s in seeds):.4f} / {statistics.mean(s['plain_mae'] for s in seeds):.4f}",
                            f"{statistics.mean(s['alone_mse'] for s in seeds):.4f} / {statistics.mean(s['alone_mae'] for s in seeds):.4f}"]
                else:
                    row += ["–", "–", "–"]
            print("| " + " | ".join(row) + " |")

def seed_summary(kind, d, h, c):
    runs_ = [load(f"{PREFIX}-{kind}-{d}-{h}-{c}-s{s}") for s in [1, 2, 3]]
    return [r for r in runs_ if r is not None]


print("\n**one setting for every cell** (no choice per cell): " + "; ".join(f"{k}: {v[1]}" for k, v in FIXED.items()) + "\n")
print("| setting | dataset | horizon | mean ± sd (MSE / MAE) | seeds | PatchTST/64 | below it | fit kept by the rule | fit alone: mean |")
print("|---|---|---:|---|---|---|---|---|---|")
for kind in ["mv", "uni"]:
    for d in ["ETTh1", "ETTh2"]:
        for i, h in enumerate(HORIZONS):
            seeds = seed_summary(kind, d, h, FIXED[kind][0])
            pub = PATCHTST64[(kind, d)][i]
            if not seeds:
                continue
            mse = [r["mse"] for r in seeds]
            mae = [r["mae"] for r in seeds]
            sd = lambda v: statistics.stdev(v) if len(v) > 1 else 0.0
            alone = [r["alone_mse"] for r in seeds if r["alone_mse"] is not None]
            print(f"| {'multivariate' if kind == 'mv' else 'univariate OT'}, {FIXED[kind][1]} | {d} | {h} | "
                  f"{statistics.mean(mse):.4f} ± {sd(mse):.4f} / {statistics.mean(mae):.4f} ± {sd(mae):.4f} | {len(seeds)} | "
                  f"{pub[0]:.3f} / {pub[1]:.3f} | {'yes' if statistics.mean(mse) < pub[0] else 'no'} | "
                  f"{sum(r['kept_fit'] for r in seeds)} of {len(seeds)} | {statistics.mean(alone):.4f} |")
