# Pure-Python predict core of the many-model aggregator (standard library only: no numpy, no
# pandas, so it runs unchanged in a warehouse, a container or a test).
#
# It reads the per-partition artifact written by the reference worker (format
# "many-model-forecast", formatVersion 4; versions 1 to 3 are still read) and forecasts `horizon` steps
# after the model's last date, stepping by the series' frequency (days before version 4). It is the line-by-line twin of worker/forecast/predict.ts and
# model.ts: same formulas, same order of floating-point operations, so both give the same doubles
# (tests compare them on fitted models to 1e-9). Change both together; docs/forecast-models.md
# documents the format.
#
# The aggregator template inlines this file (placeholder PREDICT_CORE); it must stay valid Python 3.9.
import datetime
import math
import os
import re

MODEL_FORMAT = "many-model-forecast"
SUPPORTED_VERSIONS = (1, 2, 3, 4)
DEFAULT_Z = 1.959963984540054
INDEX_FORMAT = "many-model-index"

_ISO_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})")
_V1_FAMILIES = ("seasonal_naive", "linear_trend", "holt_winters")
_V2_FAMILIES = ("seasonal_naive", "linear_trend", "drift", "ses", "linear_trend_season", "holt_winters", "holt_winters_damped")
_V3_FAMILIES = _V2_FAMILIES + ("ets", "arima")
MAX_AR = 800
# A step of each frequency: ("day", n) is n days, ("month", n) is n calendar months.
_FREQUENCIES = {"day": ("day", 1), "week": ("day", 7), "month": ("month", 1), "quarter": ("month", 3), "year": ("month", 12)}

_LN2_HI = 0.693147180369123816490
_LN2_LO = 1.90821492927058770002e-10
_INV_LN2 = 1.44269504088896338700


def _exp(x):
    """e**x from +, -, *, / only: the twin of expPortable in predict.ts (math.exp and JavaScript's
    Math.exp come from different libraries and may differ in the last bit)."""
    if math.isnan(x):
        return x
    if x > 709.782712893384:
        return math.inf
    if x < -745.1332191019412:
        return 0.0
    k = math.floor(x * _INV_LN2 + 0.5)
    r = x - k * _LN2_HI - k * _LN2_LO
    p = 1.0
    for i in range(14, 0, -1):
        p = 1 + (p * r) / i
    k1 = int(k / 2)
    return p * 2.0 ** k1 * 2.0 ** (k - k1)


class ModelFormatError(ValueError):
    """An artifact is not a valid many-model-forecast document."""


def _is_num(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _is_int(v):
    return _is_num(v) and float(v).is_integer()


def _is_num_array(v, length=None):
    return isinstance(v, list) and all(_is_num(x) for x in v) and (length is None or len(v) == length)


def _is_transform(v):
    return v in ("none", "log") and isinstance(v, str)


def _fail(msg):
    raise ModelFormatError("invalid %s model: %s" % (MODEL_FORMAT, msg))


def _need(state, field, ok, what):
    if not ok(state.get(field)):
        _fail("state.%s must be %s" % (field, what))


def _parse_day(value):
    m = _ISO_DAY.match(value) if isinstance(value, str) else None
    if m is None:
        raise ValueError("not YYYY-MM-DD")
    return datetime.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))


def _days_in_month(year, month):
    # month 1-12, proleptic Gregorian (the twin of daysInMonth in dates.ts, whose month is 0-11).
    if month == 2:
        return 29 if (year % 4 == 0 and year % 100 != 0) or year % 400 == 0 else 28
    return 30 if month in (4, 6, 9, 11) else 31


def _month_date(month_index, anchor_day):
    # Month `month_index` (months since January of year 0) on day anchor_day, or its last day.
    year, month0 = divmod(month_index, 12)
    return datetime.date(year, month0 + 1, min(anchor_day, _days_in_month(year, month0 + 1)))


def check_model(model):
    """Raises ModelFormatError naming the first problem (mirrors parseModel in model.ts)."""
    if not isinstance(model, dict):
        _fail("not a JSON object")
    if model.get("format") != MODEL_FORMAT:
        _fail("format is %r" % (model.get("format"),))
    version = model.get("formatVersion")
    if not _is_int(version) or int(version) not in SUPPORTED_VERSIONS:
        _fail("formatVersion %r is not supported (1, 2, 3 and 4 are)" % (version,))
    version = int(version)
    period = model.get("period")
    if not (_is_int(period) and period >= 1):
        _fail("period must be an integer >= 1")
    p = int(period)
    if not isinstance(model.get("lastDate"), str):
        _fail("lastDate must be a YYYY-MM-DD string")
    try:
        last_day = _parse_day(model["lastDate"])
    except ValueError:
        _fail("lastDate %r is not a valid date" % (model["lastDate"],))
    if version == 4:
        frequency = model.get("frequency")
        if not isinstance(frequency, str) or frequency not in _FREQUENCIES:
            _fail('frequency must be one of "day", "week", "month", "quarter", "year"')
        if frequency in ("day", "week"):
            if "anchorDay" in model:
                _fail("anchorDay is only for months, quarters and years, not %s" % (frequency,))
        else:
            a = model.get("anchorDay")
            if not (_is_int(a) and 1 <= a <= 31):
                _fail("anchorDay must be an integer from 1 to 31")
            if last_day.day != min(int(a), _days_in_month(last_day.year, last_day.month)):
                _fail("lastDate %s is not on anchorDay %s" % (model["lastDate"], a))
    if not (_is_num(model.get("sigma")) and model["sigma"] >= 0):
        _fail("sigma must be a finite number >= 0")
    if "z" in model and not (_is_num(model["z"]) and model["z"] >= 0):
        _fail("z must be a finite number >= 0")
    if version != 1 and "z" not in model:
        _fail("z is required")
    state = model.get("state")
    if not isinstance(state, dict):
        _fail("state must be an object")
    family = model.get("family")
    season = lambda v: _is_num_array(v, p)  # noqa: E731
    if version == 1:
        if family == "seasonal_naive":
            _need(state, "season", season, "an array of %d numbers" % p)
        elif family == "linear_trend":
            for f in ("intercept", "slope", "t0"):
                _need(state, f, _is_num, "a finite number")
        elif family == "holt_winters":
            for f in ("level", "trend"):
                _need(state, f, _is_num, "a finite number")
            _need(state, "season", season, "an array of %d numbers" % p)
        else:
            _fail("family %r is not a formatVersion 1 family" % (family,))
        return
    if version == 2 and family in _V3_FAMILIES and family not in _V2_FAMILIES:
        _fail("family %r needs formatVersion 3" % (family,))
    if family == "seasonal_naive":
        _need(state, "season", season, "an array of %d numbers" % p)
    elif family == "drift":
        for f in ("last", "slope"):
            _need(state, f, _is_num, "a finite number")
        _need(state, "n", lambda v: _is_int(v) and v >= 1, "an integer >= 1")
    elif family == "ses":
        for f in ("level", "alpha"):
            _need(state, f, _is_num, "a finite number")
    elif family in ("linear_trend", "linear_trend_season"):
        k = 2 if family == "linear_trend" else p + 1
        _need(state, "coef", lambda v: _is_num_array(v, k), "an array of %d numbers" % k)
        for f in ("tCenter", "tLast"):
            _need(state, f, _is_num, "a finite number")
        _need(state, "xtxInv", lambda v: isinstance(v, list) and len(v) == k and all(_is_num_array(r, k) for r in v), "a %dx%d matrix" % (k, k))
    elif family in ("holt_winters", "holt_winters_damped", "ets"):
        for f in ("level", "trend", "alpha", "beta", "gamma", "phi"):
            _need(state, f, _is_num, "a finite number")
        _need(state, "season", season, "an array of %d numbers" % p)
        if family == "ets":
            _need(state, "transform", _is_transform, '"none" or "log"')
    elif family == "arima":
        _need(state, "ar", lambda v: _is_num_array(v) and len(v) <= MAX_AR, "an array of at most %d numbers" % MAX_AR)
        _need(state, "intercept", _is_num, "a finite number")
        k = len(state["ar"])
        _need(state, "last", lambda v: _is_num_array(v, k), "an array of %d numbers (one per AR coefficient)" % k)
        _need(state, "transform", _is_transform, '"none" or "log"')
    else:
        _fail("family %r is unknown" % (family,))


def _check_horizon(horizon):
    if isinstance(horizon, bool) or not isinstance(horizon, int) or horizon < 0:
        raise ValueError("horizon must be an integer >= 0, got %r" % (horizon,))


def _design_row(state, period, seasonal, t):
    x = [1, t - state["tCenter"]]
    if seasonal:
        slot = t % period
        for j in range(1, period):
            x.append(1 if slot == j else 0)
    return x


def forecast_path(family, version, period, state, sigma, z, horizon):
    """(point, lower, upper) lists for steps 1..horizon. Mirrors `path` in predict.ts."""
    point, lower, upper = [], [], []

    def push(p, scale):
        half = z * sigma * scale
        point.append(p)
        lower.append(p - half)
        upper.append(p + half)

    if version == 1:
        for h in range(1, horizon + 1):
            if family == "seasonal_naive":
                p = state["season"][(h - 1) % period]
            elif family == "linear_trend":
                p = state["intercept"] + state["slope"] * (state["t0"] + h)
            else:
                p = state["level"] + h * state["trend"] + state["season"][(h - 1) % period]
            push(p, math.sqrt(h))
        return point, lower, upper
    if family == "seasonal_naive":
        season = state["season"]
        for h in range(1, horizon + 1):
            push(season[(h - 1) % period], math.sqrt((h - 1) // period + 1))
    elif family == "drift":
        last, slope, n = state["last"], state["slope"], state["n"]
        for h in range(1, horizon + 1):
            push(last + h * slope, math.sqrt(h * (1 + h / n)))
    elif family == "ses":
        level, alpha = state["level"], state["alpha"]
        for h in range(1, horizon + 1):
            push(level, math.sqrt(1 + (h - 1) * (alpha * alpha)))
    elif family in ("linear_trend", "linear_trend_season"):
        coef, inv = state["coef"], state["xtxInv"]
        k = len(coef)
        seasonal = family == "linear_trend_season"
        for h in range(1, horizon + 1):
            x = _design_row(state, period, seasonal, state["tLast"] + h)
            p = 0
            for i in range(k):
                p += coef[i] * x[i]
            quad = 0
            for i in range(k):
                row = 0
                for j in range(k):
                    row += inv[i][j] * x[j]
                quad += x[i] * row
            # Rounding can make a tiny quadratic form negative; it is >= 0 in exact arithmetic.
            push(p, math.sqrt(1 + max(0, quad)))
    elif family in ("holt_winters", "holt_winters_damped", "ets"):
        level, trend, season = state["level"], state["trend"], state["season"]
        alpha, beta, gamma, phi = state["alpha"], state["beta"], state["gamma"], state["phi"]
        phi_pow = 1
        phi_sum = 0
        cum = 0
        for h in range(1, horizon + 1):
            phi_pow = phi_pow * phi
            phi_sum = phi_sum + phi_pow
            push(level + phi_sum * trend + season[(h - 1) % period], math.sqrt(1 + cum))
            c = alpha + beta * phi_sum
            if h % period == 0:
                c = c + gamma
            cum = cum + c * c
        if family == "ets" and state["transform"] == "log":
            _back_transform(point, lower, upper)
    elif family == "arima":
        ar, intercept = state["ar"], state["intercept"]
        k = len(ar)
        hist = list(state["last"])
        psi = [1]
        cum = 0
        for h in range(1, horizon + 1):
            p = intercept
            for i in range(k):
                p = p + ar[i] * hist[len(hist) - 1 - i]
            hist.append(p)
            cum = cum + psi[h - 1] * psi[h - 1]
            push(p, math.sqrt(cum))
            nxt = 0
            for i in range(min(k, h)):
                nxt = nxt + ar[i] * psi[h - 1 - i]
            psi.append(nxt)
        if state["transform"] == "log":
            _back_transform(point, lower, upper)
    else:
        raise ModelFormatError("unknown family %r" % (family,))
    return point, lower, upper


def _back_transform(point, lower, upper):
    for i in range(len(point)):
        point[i] = _exp(point[i])
        lower[i] = _exp(lower[i])
        upper[i] = _exp(upper[i])


def predict_from_model(model, horizon):
    """Forecast of steps 1..horizon: [{"step", "date", "forecast", "lower", "upper"}, ...]."""
    _check_horizon(horizon)
    check_model(model)
    version = int(model["formatVersion"])
    period = int(model["period"])
    z = model.get("z", DEFAULT_Z)
    point, lower, upper = forecast_path(model["family"], version, period, model["state"], model["sigma"], z, horizon)
    last = _parse_day(model["lastDate"])
    # Versions 1-3 step by days. Months, quarters and years count calendar months from lastDate's
    # month and land on anchorDay, or on the month's last day when it is shorter.
    unit, count = _FREQUENCIES[model["frequency"] if version == 4 else "day"]
    last_month = last.year * 12 + last.month - 1

    def date_of(h):
        if unit == "day":
            return last + datetime.timedelta(days=h * count)
        return _month_date(last_month + h * count, int(model["anchorDay"]))

    return [
        {
            "step": i + 1,
            "date": date_of(i + 1).isoformat(),
            "forecast": point[i],
            "lower": lower[i],
            "upper": upper[i],
        }
        for i in range(horizon)
    ]


def requested_steps(values):
    """Sorted distinct positive integer steps of a partition's input rows."""
    steps = set()
    for v in values:
        f = float(v)
        if not (math.isfinite(f) and f.is_integer() and f >= 1):
            raise ValueError("STEP must be a positive integer, got %r" % (v,))
        steps.add(int(f))
    return sorted(steps)


def predict_partition(key, model, steps):
    """Output rows (PARTITION_KEY, STEP, DS, FORECAST, LOWER, UPPER) of the requested steps."""
    if not steps:
        return []
    wanted = set(steps)
    return [
        {"PARTITION_KEY": key, "STEP": f["step"], "DS": f["date"], "FORECAST": f["forecast"], "LOWER": f["lower"], "UPPER": f["upper"]}
        for f in predict_from_model(model, max(steps))
        if f["step"] in wanted
    ]


def check_index(index):
    """Raises ValueError unless `index` is a many-model-index v1 document with relative paths."""
    if not isinstance(index, dict) or index.get("format") != INDEX_FORMAT or index.get("formatVersion") != 1:
        raise ValueError("not a %s v1 document" % INDEX_FORMAT)
    partitions = index.get("partitions")
    if not isinstance(partitions, dict):
        raise ValueError("index.partitions must be an object (partition key -> artifact path)")
    for key, rel in partitions.items():
        if not isinstance(rel, str) or not artifact_path_is_safe(rel):
            raise ValueError("index entry %r has an unsafe artifact path %r" % (key, rel))


def artifact_path_is_safe(rel):
    """A relative path that stays inside its directory (no absolute path, no '..')."""
    if rel == "" or rel.startswith("/") or rel.startswith("\\") or re.match(r"^[A-Za-z]:", rel):
        return False
    return all(part not in ("..", "") for part in rel.replace("\\", "/").split("/"))


def artifact_file(models_dir, rel):
    """Local file of an index entry under the bundled models directory."""
    if not artifact_path_is_safe(rel):
        raise ValueError("unsafe artifact path %r" % (rel,))
    return os.path.join(models_dir, *rel.split("/"))
