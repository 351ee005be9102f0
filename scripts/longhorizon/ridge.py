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

import runreport

runs = sys.argv[1] if len(sys.argv) > 1 else "runs/longhorizon"
# --rule one-se: the runs of `RULE=one-se ridge-init.sh` (named se-..., trained with --epoch-choice one-se)
ONE_SE = "--rule" in sys.argv and sys.argv[sys.argv.index("--rule") + 1] == "one-se"
PREFIX = "se" if ONE_SE else "rg"
HORIZONS = [96, 192, 336, 720]
PATCHTST64 = {  # MSE / MAE: multivariate from the shared CSV (PatchTST Table 3), univariate from its Table 8
    ("mv", "ETTh1"): [(0.370, 0.400), (0.413, 0.429), (0.422, 0.440), (0.447, 0.468)],
    ("mv", "ETTh2"): [(0.274, 0.337), (0.341, 0.382), (0.329, 0.384), (0.379, 0.422)],
    ("uni", "ETTh1"): [(0.059, 0.189), (0.074, 0.215), (0.076, 0.220), (0.087, 0.236)],
    ("uni", "ETTh2"): [(0.131, 0.284), (0.171, 0.329), (0.171, 0.336), (0.223, 0.380)],
}
CANDIDATES = {"mv": [("fz", "frozen, 336"), ("fz512", "frozen, 512"), ("tr", "trainable, 336")],
              "uni": [("fz", "frozen, 336"), ("fz512", "frozen, 512"), ("fzs", "frozen, 336, scaled"), ("fz512s", "frozen, 512, scaled"),
                      # trained on the windows of all 7 columns (--train-columns all), the OT forecast still from OT alone
                      ("pool", "all columns, 336"), ("pool512", "all columns, 512"), ("pools", "all columns, 336, scaled"),
                      ("pool512s", "all columns, 512, scaled")]}


if ONE_SE:  # the trainable-highway candidate was not run with the rule (RULE=one-se ridge-init.sh leaves it out)
    CANDIDATES["mv"] = [c for c in CANDIDATES["mv"] if c[0] != "tr"]


def load(name):
    return runreport.load(runs, name)


def chosen(kind, d, h):
    results = [(c, load(f"{PREFIX}-{kind}-{d}-{h}-{c}-s1")) for c, _ in CANDIDATES[kind]]
    results = [(c, r) for c, r in results if r is not None]
    return min(results, key=lambda cr: cr[1]["val"])[0] if results else None


def command(kind, d, h, c, seed, data):
    scale = " --instance-scale" if d == "ETTh2" and (kind == "mv" or c.endswith("s")) else ""
    common = (f"--csv {data}/{d}.csv --protocol ett-long --baselines naive --highway-init ridge --horizon {h} --seed {seed}" +
              (" --targets all" if kind == "mv" else " --target OT --features target") + scale +
              (" --epoch-choice one-se" if ONE_SE else ""))
    setting = {"fz": "--window 336 --freeze-highway", "fz512": "--window 512 --patch 16 --freeze-highway", "tr": "--window 336",
               "pool": "--window 336 --freeze-highway --train-columns all",
               "pool512": "--window 512 --patch 16 --freeze-highway --train-columns all"}[c.rstrip("s")]
    return f"{PREFIX}-{kind}-{d}-{h}-{c}-s{seed} {common} {setting}"


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
