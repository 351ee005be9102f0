"""One long-horizon run's numbers, read from RUN_DIR/NAME.json (the forecast report) and NAME.time (/usr/bin/time),
for the table scripts (validation.py, ridge.py)."""
import json, os


def load(runs, name):
    """The run's validation MSE (the best of every epoch and, with a fitted highway, of epoch 0; the fit's when the
    one-standard-error rule kept it), test MSE / MAE, best epoch, epochs run and CPU seconds; what the plain best-epoch
    choice of the same run scores (plain_*: with --epoch-choice one-se the set-aside epoch's row when the rule kept the
    fit) and the fitted highway alone (alone_*); None when the run is missing."""
    path = os.path.join(runs, name + ".json")
    if not os.path.exists(path):
        return None
    report = json.load(open(path))
    lstm = next(r for r in report["results"] if r["name"] == "LSTM")
    losses = [e["validationLoss"] for e in report["epochs"]]
    if report.get("initialValidationLoss") is not None:
        losses.append(report["initialValidationLoss"])
    check = report.get("epochChoice")
    kept_fit = bool(check and check["keptFit"])
    # Under --epoch-choice one-se the kept model is the fit when the rule said so, whatever the best epoch scored.
    val = report["initialValidationLoss"] if kept_fit else min(losses)
    aside = next((r for r in report["results"] if "set aside" in r["name"]), None)
    # The plain best-validation choice of the same run: the set-aside epoch when the rule kept the fit, else the LSTM row.
    plain = aside or lstm
    alone = next((r for r in report["results"] if r["name"].startswith("fitted highway alone")), None)
    cpu = float("nan")
    timing = os.path.join(runs, name + ".time")
    if os.path.exists(timing):
        words = open(timing).read().split()
        cpu = sum(float(v) for v in words[words.index("cpu") + 1].split("+"))
    return {"val": val, "mse": lstm["mse"], "mae": lstm["mae"], "best": report["bestEpoch"],
            "epochs": len(report["epochs"]), "cpu": cpu, "kept_fit": kept_fit, "check": check,
            "plain_val": min(losses), "plain_mse": plain["mse"], "plain_mae": plain["mae"],
            "alone_mse": alone["mse"] if alone else None, "alone_mae": alone["mae"] if alone else None}
