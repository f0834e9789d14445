# Pure-Python predict core of the many-model aggregator (stdlib only).
#
# It reads the per-partition model JSON written by the reference worker (format
# "many-model-forecast", formatVersion 1; see docs/worker-contract.md) and forecasts `horizon`
# steps after the model's last date. The TypeScript twin is lib/worker/forecast/predict.ts; both
# use the same formulas in the same order so their results agree to 1e-9.
import datetime
import math

SUPPORTED_FORMAT = "many-model-forecast"
SUPPORTED_VERSION = 1


def _season_index(model, h):
    period = int(model["period"])
    # state.season is aligned so that index 0 is the season slot of the first forecast step.
    return (h - 1) % period


def point_forecast(model, h):
    family = model["family"]
    state = model["state"]
    if family == "seasonal_naive":
        return float(state["season"][_season_index(model, h)])
    if family == "linear_trend":
        return float(state["intercept"]) + float(state["slope"]) * (float(state["t0"]) + h)
    if family == "linear_trend_season":
        return float(state["intercept"]) + float(state["slope"]) * (float(state["t0"]) + h) + float(state["season"][_season_index(model, h)])
    if family == "holt_winters":
        return float(state["level"]) + h * float(state["trend"]) + float(state["season"][_season_index(model, h)])
    if family == "ses":
        return float(state["level"])
    if family == "drift":
        return float(state["last"]) + h * float(state["slope"])
    raise ValueError("unknown model family %r" % (family,))


def predict_from_model(model, horizon):
    if model.get("format") != SUPPORTED_FORMAT or int(model.get("formatVersion", 0)) != SUPPORTED_VERSION:
        raise ValueError("not a many-model-forecast v1 model")
    last = datetime.date.fromisoformat(model["lastDate"])
    z = float(model.get("z", 1.959963984540054))
    sigma = float(model.get("sigma", 0.0))
    out = []
    for h in range(1, int(horizon) + 1):
        point = point_forecast(model, h)
        half = z * sigma * math.sqrt(h)
        out.append({
            "step": h,
            "date": (last + datetime.timedelta(days=h)).isoformat(),
            "forecast": point,
            "lower": point - half,
            "upper": point + half,
        })
    return out


def route_predict(index, models, rows, key_column="PARTITION_KEY", step_column="STEP"):
    """Forecast rows for one partition: look the key up in the index, predict max(step) steps,
    return the requested steps. A partition without a model yields no rows."""
    if not rows:
        return []
    key = str(rows[0][key_column])
    path = index.get("partitions", {}).get(key)
    if path is None or path not in models:
        return []
    steps = sorted({int(r[step_column]) for r in rows})
    forecast = predict_from_model(models[path], max(steps))
    wanted = set(steps)
    return [
        {"PARTITION_KEY": key, "STEP": f["step"], "DS": f["date"], "FORECAST": f["forecast"], "LOWER": f["lower"], "UPPER": f["upper"]}
        for f in forecast
        if f["step"] in wanted
    ]
