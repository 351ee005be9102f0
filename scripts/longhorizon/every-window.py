#!/usr/bin/env python3
"""The "every window per epoch" table of docs/forecasting.md: univariate OT, look-back 512, frozen fitted highway,
one-SE rule, seed 1, trained on 2,048 windows drawn per epoch (ridge-init.sh's se-uni-...-fz512-s1) against every
training window per epoch (every-window.sh's ew-uni-...-fz512-s1).

    scripts/longhorizon/every-window.py [RUN_DIR]      default: runs/longhorizon
"""
import sys
from runreport import load


def cell(r):
    if r is None:
        return "– | – | – | –"
    # The fit is kept when the rule set a trained epoch aside, or when no trained epoch beat it on validation at all.
    # The best trained epoch's test score: the set-aside epoch, or the kept one; none when no epoch beat the fit.
    trained = f"{r['plain_mse']:.4f}" if r["kept_fit"] or r["best"] > 0 else "–"
    kept = "fit (rule)" if r["kept_fit"] else "fit (no epoch better)" if r["best"] == 0 else f"epoch {r['best']}"
    return (f"{r['val']:.4f} \\| {r['mse']:.4f} / {r['mae']:.4f} | {kept}, {r['epochs']} epochs | "
            f"{trained} | {r['cpu']:.0f}")


def main(runs):
    print("| dataset | horizon | 2,048 a epoch: validation \\| test MSE / MAE | kept | best trained epoch's test MSE | CPU s "
          "| every window: validation \\| test MSE / MAE | kept | best trained epoch's test MSE | CPU s | fit alone |")
    print("|---|---:|---|---|---:|---:|---|---|---:|---:|---:|")
    for d in ("ETTh1", "ETTh2"):
        for h in (96, 192, 336, 720):
            drawn, every = load(runs, f"se-uni-{d}-{h}-fz512-s1"), load(runs, f"ew-uni-{d}-{h}-fz512-s1")
            if every is None:
                continue
            alone = every["alone_mse"]
            print(f"| {d} | {h} | {cell(drawn)} | {cell(every)} | {alone:.4f} |" if alone is not None else f"| {d} | {h} | {cell(drawn)} | {cell(every)} | – |")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "runs/longhorizon")
