"""Calendar features of a year-first date/datetime string column, in TensorFlow ops.

The values ``roles.ISO_DATE`` accepts: ``YYYY-MM-DD`` (or ``/``, ``.`` as the separator)
with an optional time, so year, month, day, hour and minute sit at fixed positions.

Everything here runs inside the TFT ``preprocessing_fn``, so the serving graph takes
the raw string and parses it the same way. ``calendar_features`` returns one dense
``[batch, len(feature_names(year_steps))]`` float32 tensor per column:

- ``year`` z-scored and ``elapsed`` days since the train split's earliest date over
  the train split's span (both analysed by TFT, so a later date extrapolates);
- sin/cos of the month, the day of the week, the day of the year, the day of the
  month and the hour of the day;
- one-hot month (12) and day of the week (7, Monday first);
- ``missing``: 1 when the value is absent or not an ISO date (all else 0 then);
- with ``year_steps`` = k > 0 (``roles.year_steps``: the train split's dates span
  k + 1 calendar years, at most ``roles.MAX_YEAR_STEPS`` + 1), k more columns
  ``year_step_1 .. year_step_k``: ``year_step_i`` is 1 when the year, clipped to the
  train split's first and last year (``tft.min``/``tft.max``), is at least the first
  year + i. Any per-year shift is a weighted sum of these steps, so a small network
  can split on a year as sharply as a tree splits on the day number (the labelling of
  a series may change from one year to the next); a year after the train split's
  last reads as the last year (as a tree's last leaf extrapolates), one before its
  first as the first, so no input is ever set that training never set (a one-hot
  out-of-vocabulary bucket would feed such a date through untrained weights).
  The smooth trend beyond the train split stays with ``elapsed``.

A time zone suffix (``Z``, ``+02:00``) is accepted and ignored: the features are those
of the wall-clock time as written.
"""
from components.transform.roles import ISO_DATE

ISO_DATE_RE2 = ISO_DATE.pattern.lstrip("^").rstrip("$")  # the same pattern, matched whole by RE2
CYCLES = ("month", "day_of_week", "day_of_year", "day_of_month", "hour")
FEATURE_NAMES = (
    ("year", "elapsed")
    + tuple(f"{cycle}_{part}" for cycle in CYCLES for part in ("sin", "cos"))
    + tuple(f"month_{m}" for m in range(1, 13))
    + tuple(f"day_of_week_{d}" for d in range(7))
    + ("missing",)
)
_PLACEHOLDER = "1970-01-01T00:00"


def days_from_civil(year, month, day):
    """Days since 1970-01-01 of a proleptic Gregorian date (int64 tensors), by
    counting 400-year eras from a March-first year."""
    import tensorflow as tf

    shifted_year = year - tf.cast(month <= 2, tf.int64)
    era = tf.math.floordiv(shifted_year, 400)
    year_of_era = shifted_year - era * 400
    month_from_march = tf.where(month > 2, month - 3, month + 9)
    day_of_year = (153 * month_from_march + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    return era * 146097 + day_of_era - 719468


def parse_iso(strings):
    """(parsed, year, month, day, hour) of a [batch] string tensor; ``parsed`` is a
    bool tensor, the others int64 (placeholder values where not parsed) and hour a
    float (minutes as its fraction)."""
    import tensorflow as tf

    text = tf.strings.strip(strings)
    matched = tf.strings.regex_full_match(text, ISO_DATE_RE2)
    safe = tf.where(matched, text, _PLACEHOLDER)
    safe = tf.where(tf.strings.length(safe) >= 16, safe, tf.strings.join([tf.strings.substr(safe, 0, 10), "T00:00"]))

    def number(position, length):
        return tf.strings.to_number(tf.strings.substr(safe, position, length), out_type=tf.int64)

    year, month, day = number(0, 4), number(5, 2), number(8, 2)
    hour = tf.cast(number(11, 2), tf.float32) + tf.cast(number(14, 2), tf.float32) / 60.0
    parsed = matched & (month >= 1) & (month <= 12) & (day >= 1) & (day <= 31) & (hour < 24.0)
    return parsed, year, month, day, hour


def feature_names(year_steps: int = 0):
    """The names of ``calendar_features``' columns, in order."""
    return FEATURE_NAMES + tuple(f"year_step_{i}" for i in range(1, int(year_steps) + 1))


def calendar_features(strings, name: str, year_steps: int = 0):
    """The [batch, len(feature_names(year_steps))] float32 calendar features of a [batch]
    string tensor.

    ``name`` scopes the TFT analysers (the year's mean and variance, the first and
    last day of the train split, and with ``year_steps`` its first and last year)."""
    import math

    import tensorflow as tf
    import tensorflow_transform as tft

    parsed, year, month, day, hour = parse_iso(strings)
    days = days_from_civil(year, month, day)
    present = tf.cast(parsed, tf.float32)

    def analysed(values):
        """Values of parsed rows, for the analysers (at least one value so an
        all-missing batch still has a defined result)."""
        return tf.boolean_mask(values, parsed)

    year_f = tf.cast(year, tf.float32)
    days_f = tf.cast(days, tf.float32)
    year_mean = tft.mean(analysed(year_f), name=f"year_mean_{name}")
    year_std = tf.sqrt(tft.var(analysed(year_f), name=f"year_var_{name}"))
    first = tft.min(analysed(days_f), name=f"first_day_{name}")
    last = tft.max(analysed(days_f), name=f"last_day_{name}")
    year_z = tf.where(year_std > 0, (year_f - year_mean) / tf.maximum(year_std, 1e-6), 0.0)
    elapsed = (days_f - first) / tf.maximum(last - first, 1.0)

    day_of_week = tf.math.floormod(days + 3, 7)  # 1970-01-01 was a Thursday (3, Monday = 0)
    day_of_year = days - days_from_civil(year, tf.ones_like(month), tf.ones_like(day))
    fractions = {
        "month": tf.cast(month - 1, tf.float32) / 12.0,
        "day_of_week": tf.cast(day_of_week, tf.float32) / 7.0,
        "day_of_year": tf.cast(day_of_year, tf.float32) / 365.25,
        "day_of_month": tf.cast(day - 1, tf.float32) / 31.0,
        "hour": hour / 24.0,
    }
    columns = [year_z, elapsed]
    for cycle in CYCLES:
        angle = 2.0 * math.pi * fractions[cycle]
        columns += [tf.sin(angle), tf.cos(angle)]
    values = tf.stack(columns, axis=1) * present[:, None]
    one_hot = tf.concat(
        [tf.one_hot(month - 1, 12, dtype=tf.float32), tf.one_hot(day_of_week, 7, dtype=tf.float32)], axis=1
    ) * present[:, None]
    columns = [values, one_hot, (1.0 - present)[:, None]]
    if year_steps > 0:
        first_year = tft.min(analysed(year_f), name=f"first_year_{name}")
        last_year = tft.max(analysed(year_f), name=f"last_year_{name}")
        clipped = tf.clip_by_value(year_f, first_year, tf.maximum(first_year, last_year))
        steps = first_year + tf.range(1, int(year_steps) + 1, dtype=tf.float32)
        columns.append(tf.cast(clipped[:, None] >= steps[None, :], tf.float32) * present[:, None])
    return tf.concat(columns, axis=1)
