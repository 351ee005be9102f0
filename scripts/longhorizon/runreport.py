"""One long-horizon run's numbers, read from RUN_DIR/NAME.json (the forecast report) and NAME.time (/usr/bin/time),
for the table scripts (validation.py, ridge.py)."""
import json, os


def load(runs, name):
    """The run's best validation MSE (of every epoch and, with a fitted highway, of epoch 0), test MSE / MAE, best
    epoch, epochs run and CPU seconds; None when the run is missing."""
    path = os.path.join(runs, name + ".json")
    if not os.path.exists(path):
        return None
    report = json.load(open(path))
    lstm = next(r for r in report["results"] if r["name"] == "LSTM")
    losses = [e["validationLoss"] for e in report["epochs"]]
    if report.get("initialValidationLoss") is not None:
        losses.append(report["initialValidationLoss"])
    cpu = float("nan")
    timing = os.path.join(runs, name + ".time")
    if os.path.exists(timing):
        words = open(timing).read().split()
        cpu = sum(float(v) for v in words[words.index("cpu") + 1].split("+"))
    return {"val": min(losses), "mse": lstm["mse"], "mae": lstm["mae"], "best": report["bestEpoch"],
            "epochs": len(report["epochs"]), "cpu": cpu}
