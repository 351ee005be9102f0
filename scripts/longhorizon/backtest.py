#!/usr/bin/env python3
"""Choosing each cell's fitted-highway candidate on two held-out periods instead of one (docs/forecasting.md,
"Choosing on two periods"). The one-standard-error table chose on the protocol's validation period alone (rows
8640-11519), whose verdicts did not carry to the test period. Here every candidate also runs on the backtest split
(--protocol ett-long-backtest: trained on rows 0-5759, validated on 5760-8639, tested on 8640-11519), and the choice is
the candidate with the lowest mean of

    the protocol run's validation MSE (the kept model's: the fit's when the rule kept it) and
    the backtest run's test MSE (a period that run's epoch and penalty choices never saw).

The criterion was fixed in this file before any backtest run existed. No row from 11520 on (the protocol's test
period) enters either number; test scores are read only to report the choice.

    scripts/longhorizon/backtest.py RUN_DIR --runs DATA_DIR   the seed-1 runs still missing (backtest, and protocol)
    scripts/longhorizon/backtest.py RUN_DIR --next DATA_DIR   seeds 2-3 of each chosen candidate, on the protocol
    scripts/longhorizon/backtest.py RUN_DIR                   the tables
"""
import statistics, sys

import cells
import runreport

runs = sys.argv[1] if len(sys.argv) > 1 else "runs/longhorizon"
KINDS = ["mv", "uni"]
DATASETS = ["ETTh1", "ETTh2"]


def load(name):
    return runreport.load(runs, name)


def score(kind, d, h, c):
    """(protocol validation MSE, backtest test MSE, their mean) of a candidate's seed-1 runs, or None while one is missing."""
    protocol, backtest = load(f"se-{kind}-{d}-{h}-{c}-s1"), load(f"bt-{kind}-{d}-{h}-{c}-s1")
    if protocol is None or backtest is None:
        return None
    return protocol["val"], backtest["mse"], (protocol["val"] + backtest["mse"]) / 2


def chosen(kind, d, h):
    scored = {c: score(kind, d, h, c) for c, _ in cells.candidates(kind, d, one_se=True)}
    if any(v is None for v in scored.values()):
        return None
    return min(scored, key=lambda c: scored[c][2])


def by_validation(kind, d, h):
    """What the one-standard-error table chose: the protocol's validation MSE alone."""
    found = {c: load(f"se-{kind}-{d}-{h}-{c}-s1") for c, _ in cells.candidates(kind, d, one_se=True)}
    found = {c: r for c, r in found.items() if r is not None}
    return min(found, key=lambda c: found[c]["val"]) if found else None


if len(sys.argv) > 3 and sys.argv[2] in ("--runs", "--next"):
    data = sys.argv[3]
    for kind in KINDS:
        for d in DATASETS:
            for h in cells.HORIZONS:
                if sys.argv[2] == "--runs":
                    for c, _ in cells.candidates(kind, d, one_se=True):
                        if load(f"bt-{kind}-{d}-{h}-{c}-s1") is None:
                            print(cells.command("bt", kind, d, h, c, 1, data, True, protocol="ett-long-backtest"))
                        if load(f"se-{kind}-{d}-{h}-{c}-s1") is None:
                            print(cells.command("se", kind, d, h, c, 1, data, True))
                elif (c := chosen(kind, d, h)) is not None:
                    for seed in [2, 3]:
                        if load(f"se-{kind}-{d}-{h}-{c}-s{seed}") is None:
                            print(cells.command("se", kind, d, h, c, seed, data, True))
    sys.exit(0)

verdicts = {}
for kind, title in [("mv", "multivariate (7 columns in and out, channel-independent)"), ("uni", "univariate OT")]:
    cands = cells.candidates(kind, "ETTh2", one_se=True)
    print(f"\n**{title}**: per candidate, protocol validation MSE \\| backtest test MSE (seed 1); the choice by their mean; "
          "its seeds on the protocol's test period\n")
    print("| dataset | horizon | " + " | ".join(label for _, label in cands) +
          " | chosen on two periods | chosen on validation alone | chosen, mean ± sd (MSE / MAE) | PatchTST/64 | below it | CPU s (backtest runs) |")
    print("|---|---:|" + "---|" * len(cands) + "---|---|---|---|---|---|")
    for d in DATASETS:
        for i, h in enumerate(cells.HORIZONS):
            mine = dict(cells.candidates(kind, d, one_se=True))
            row = [d, str(h)]
            for c, _ in cands:
                s = score(kind, d, h, c) if c in mine else None
                row.append("–" if s is None else f"{s[0]:.4f} \\| {s[1]:.4f}")
            c = chosen(kind, d, h)
            pub = cells.PATCHTST64[(kind, d)][i]
            seeds = [r for r in (load(f"se-{kind}-{d}-{h}-{c}-s{s}") for s in [1, 2, 3]) if r is not None] if c else []
            if seeds:
                mse, mae = [r["mse"] for r in seeds], [r["mae"] for r in seeds]
                sd = lambda v: statistics.stdev(v) if len(v) > 1 else 0.0
                mean = f"{statistics.mean(mse):.4f} ± {sd(mse):.4f} / {statistics.mean(mae):.4f} ± {sd(mae):.4f} (n={len(seeds)})"
                below = "yes" if statistics.mean(mse) < pub[0] else "no"
                verdicts[(kind, d, h)] = below == "yes"
            else:
                mean = below = "–"
            cpu = ", ".join(f"{load(f'bt-{kind}-{d}-{h}-{x}-s1')['cpu']:.0f}" for x in mine if load(f"bt-{kind}-{d}-{h}-{x}-s1"))
            v = by_validation(kind, d, h)
            row += [mine.get(c, "–"), mine.get(v, "–"), mean, f"{pub[0]:.3f} / {pub[1]:.3f}", below, cpu or "–"]
            print("| " + " | ".join(row) + " |")
for kind in KINDS:
    cells_ = [k for k in verdicts if k[0] == kind]
    if cells_:
        print(f"\n{kind}: below PatchTST/64 at {sum(verdicts[k] for k in cells_)} of {len(cells_)} cells")
