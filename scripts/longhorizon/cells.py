"""The cells of the long-horizon tables, one home for what several table scripts need: the horizons, PatchTST/64's
published MSE / MAE, the fitted-highway candidates (scripts/longhorizon/ridge-init.sh) and the command line of each run."""

HORIZONS = [96, 192, 336, 720]

# MSE / MAE: multivariate from the shared CSV (PatchTST Table 3), univariate OT from its appendix Table 8.
PATCHTST64 = {
    ("mv", "ETTh1"): [(0.370, 0.400), (0.413, 0.429), (0.422, 0.440), (0.447, 0.468)],
    ("mv", "ETTh2"): [(0.274, 0.337), (0.341, 0.382), (0.329, 0.384), (0.379, 0.422)],
    ("uni", "ETTh1"): [(0.059, 0.189), (0.074, 0.215), (0.076, 0.220), (0.087, 0.236)],
    ("uni", "ETTh2"): [(0.131, 0.284), (0.171, 0.329), (0.171, 0.336), (0.223, 0.380)],
}

# The fitted-highway candidates per kind (mv: 7 columns in and out; uni: OT). The trainable-highway one ("tr") was not
# run with the one-standard-error rule.
CANDIDATES = {"mv": [("fz", "frozen, 336"), ("fz512", "frozen, 512"), ("tr", "trainable, 336")],
              "uni": [("fz", "frozen, 336"), ("fz512", "frozen, 512"), ("fzs", "frozen, 336, scaled"), ("fz512s", "frozen, 512, scaled"),
                      # trained on the windows of all 7 columns (--train-columns all), the OT forecast still from OT alone
                      ("pool", "all columns, 336"), ("pool512", "all columns, 512"), ("pools", "all columns, 336, scaled"),
                      ("pool512s", "all columns, 512, scaled")]}


def candidates(kind, dataset, one_se):
    """The candidates of one cell: the scaled ones on ETTh2 only (univariate), no trainable highway under the rule."""
    cands = CANDIDATES[kind]
    if one_se:
        cands = [c for c in cands if c[0] != "tr"]
    if kind == "uni" and dataset != "ETTh2":
        cands = [c for c in cands if not c[0].endswith("s")]
    return cands


def command(prefix, kind, d, h, c, seed, data, one_se, protocol="ett-long"):
    """'NAME forecast-arguments...' for scripts/longhorizon/runs.sh: candidate c of the cell, with that seed."""
    scale = " --instance-scale" if d == "ETTh2" and (kind == "mv" or c.endswith("s")) else ""
    common = (f"--csv {data}/{d}.csv --protocol {protocol} --baselines naive --highway-init ridge --horizon {h} --seed {seed}" +
              (" --targets all" if kind == "mv" else " --target OT --features target") + scale +
              (" --epoch-choice one-se" if one_se else ""))
    setting = {"fz": "--window 336 --freeze-highway", "fz512": "--window 512 --patch 16 --freeze-highway", "tr": "--window 336",
               "pool": "--window 336 --freeze-highway --train-columns all",
               "pool512": "--window 512 --patch 16 --freeze-highway --train-columns all"}[c.rstrip("s")]
    return f"{prefix}-{kind}-{d}-{h}-{c}-s{seed} {common} {setting}"
