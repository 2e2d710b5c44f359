"""Deterministic synthetic server sessions with learnable load and a share of dirty rows.

Rows are made in fixed-size chunks, in time order, each chunk from its own seeded generator,
so memory stays constant and the same seed and row count give the same bytes.

Signal: a server's load level is its capacity x a daily curve that depends on its type x a
weekday/weekend factor x an hourly AR(1) factor that persists from hour to hour. So the next
hour's load depends on the current load, the hour of day, the day of week and the server type.
"""
import numpy as np
import pandas as pd

from canopy_jobs.workload_schema import COLUMNS, SERVER_TYPES

CHUNK_ROWS = 50_000
EPOCH = np.datetime64("2017-01-02T00:00:00")  # a Monday
# Peak hour of each server type's daily curve and its amplitude.
DAILY_PEAK = {"web": (14, 0.6), "database": (11, 0.4), "cache": (20, 0.7), "file": (3, 0.5), "mail": (9, 0.5)}
# How each type's load splits across the five sub-services.
SUBSERVICE_MIX = {
    "web": [0.5, 0.2, 0.1, 0.1, 0.1], "database": [0.1, 0.6, 0.2, 0.05, 0.05],
    "cache": [0.2, 0.1, 0.6, 0.05, 0.05], "file": [0.05, 0.05, 0.1, 0.7, 0.1],
    "mail": [0.1, 0.1, 0.1, 0.1, 0.6],
}
AR_PERSISTENCE = 0.8
AR_NOISE = 0.25


class Servers:
    """The fixed server fleet and its hour-by-hour AR(1) load factors (computed on demand, forward only)."""

    def __init__(self, count: int, seed: int):
        rng = np.random.default_rng([seed, 0])
        self.type_index = np.arange(count) % len(SERVER_TYPES)
        self.types = np.array(SERVER_TYPES)[self.type_index]
        self.capacity = rng.uniform(0.5, 2.0, count)
        self.weight = rng.uniform(0.5, 1.5, count)
        self.ips = np.array([f"10.0.{i // 250}.{i % 250 + 1}" for i in range(count)])
        self._ar_rng = np.random.default_rng([seed, 1])
        self._hour = -1
        self._state = np.zeros(count)
        self._factors = {}

    def ar_factors(self, hours: np.ndarray) -> np.ndarray:
        """len(hours) x servers; hours must not go back before the oldest still cached."""
        last = int(hours.max())
        while self._hour < last:
            self._hour += 1
            self._state = AR_PERSISTENCE * self._state + self._ar_rng.normal(0, AR_NOISE, len(self._state))
            self._factors[self._hour] = np.exp(self._state)
        for stale in [hour for hour in self._factors if hour < int(hours.min())]:
            del self._factors[stale]
        return np.stack([self._factors[int(hour)] for hour in hours])


PEAK_HOUR = np.array([DAILY_PEAK[name][0] for name in SERVER_TYPES])
PEAK_AMPLITUDE = np.array([DAILY_PEAK[name][1] for name in SERVER_TYPES])
MIX = np.array([SUBSERVICE_MIX[name] for name in SERVER_TYPES])


def daily_curve(type_index: np.ndarray, hour_of_day: np.ndarray) -> np.ndarray:
    return 1 + PEAK_AMPLITUDE[type_index] * np.cos(2 * np.pi * (hour_of_day - PEAK_HOUR[type_index]) / 24)


def weekly_factor(day_of_week: np.ndarray) -> np.ndarray:
    return np.where(day_of_week >= 5, 0.6, 1.0)


def clean_chunk(rng, servers: Servers, rows: np.ndarray, total_rows: int, span_seconds: float) -> pd.DataFrame:
    """rows: the global indices of this chunk's rows."""
    count = len(rows)
    offsets = (rows + rng.uniform(0, 1, count)) * (span_seconds / total_rows)
    hours = (offsets // 3600).astype(np.int64)
    hour_of_day = hours % 24
    day_of_week = (hours // 24) % 7
    # Busier servers (weight x their type's daily curve) get more sessions in an hour.
    intensity = servers.weight[None, :] * daily_curve(servers.type_index[None, :], hour_of_day[:, None])
    cumulative = np.cumsum(intensity, axis=1)
    pick = rng.uniform(0, 1, count)[:, None] * cumulative[:, -1:]
    server = np.minimum((cumulative < pick).sum(axis=1), len(servers.types) - 1)
    types = servers.types[server]
    type_index = servers.type_index[server]
    ar = servers.ar_factors(np.unique(hours))
    ar_by_row = ar[np.searchsorted(np.unique(hours), hours), server]
    level = servers.capacity[server] * daily_curve(type_index, hour_of_day) * weekly_factor(day_of_week) * ar_by_row

    grade = 1 + (rng.uniform(0, 1, count) < np.where(types == "database", 0.6, 0.3)).astype(int) \
        + (rng.uniform(0, 1, count) < 0.2).astype(int)
    http1 = (rng.uniform(0, 1, count) < 0.3).astype(int)
    connections = rng.poisson(20 * level) + 1
    megabytes = rng.gamma(2.0, 5.0 * level * (1 + 0.3 * grade))
    session_noise = rng.lognormal(0, 0.2, count)
    subservices = MIX[type_index] * (level * session_noise)[:, None] * rng.lognormal(0, 0.1, (count, 5))
    secure = level * (0.2 + 0.3 * (1 - http1)) * rng.lognormal(0, 0.1, count)
    total = subservices.sum(axis=1) + secure + 0.005 * connections + rng.normal(0, 0.02, count)
    start = EPOCH + offsets.astype("timedelta64[s]")
    end = start + (rng.lognormal(5.5, 1.0, count) + 1).astype("timedelta64[s]")
    client = [f"{a}.{b}.{c}.{d}" for a, b, c, d in rng.integers(1, 255, (count, 4))]
    frame = pd.DataFrame({
        "SessionStart": pd.Series(start).dt.strftime("%Y-%m-%d %H:%M:%S"),
        "SessionEnd": pd.Series(end).dt.strftime("%Y-%m-%d %H:%M:%S"),
        "ConcurrentConnectionCounts": connections,
        "MbytesTransferred": np.round(megabytes, 3),
        "ServiceGrade": grade,
        "HTTP1": http1,
        "ServerType": types,
    })
    for index in range(5):
        frame[f"SubService_{index + 1}_Load"] = np.round(subservices[:, index], 4)
    frame["SecureBytes_Load"] = np.round(secure, 4)
    frame["TotalLoad"] = np.round(total, 4)
    frame["ClientIP"] = client
    frame["ServerIP"] = servers.ips[server]
    return frame


DIRTY_KINDS = ("missing_field", "wrong_type", "garbage_line")
# Timestamp and number columns, where text is a wrong type.
TYPED_COLUMNS = [index for index, (_, kind) in enumerate(COLUMNS) if kind != "string"]


def to_lines(rng, frame: pd.DataFrame, dirty_fraction: float) -> list:
    """CSV lines (no header); dirty_fraction of them spoiled in one of DIRTY_KINDS."""
    lines = frame.to_csv(header=False, index=False, lineterminator="\n").splitlines()
    spoiled = np.flatnonzero(rng.uniform(0, 1, len(lines)) < dirty_fraction)
    kinds = rng.integers(0, len(DIRTY_KINDS), len(spoiled))
    columns = rng.integers(0, frame.shape[1], len(spoiled))
    for row, kind, column in zip(spoiled, kinds, columns):
        fields = lines[row].split(",")
        if DIRTY_KINDS[kind] == "missing_field":
            fields[column] = ""
        elif DIRTY_KINDS[kind] == "wrong_type":
            fields[TYPED_COLUMNS[column % len(TYPED_COLUMNS)]] = "n/a"
        else:
            fields = ["#corrupt", f"{rng.integers(0, 1 << 30):x}"]
        lines[row] = ",".join(fields)
    return lines


def generate(handle, total_rows: int, seed: int, days: int, servers: int, dirty_fraction: float) -> int:
    """Write total_rows lines to a text handle; returns the bytes written."""
    fleet = Servers(servers, seed)
    span = days * 24 * 3600.0
    written = 0
    for chunk, first in enumerate(range(0, total_rows, CHUNK_ROWS)):
        rng = np.random.default_rng([seed, 2, chunk])
        rows = np.arange(first, min(first + CHUNK_ROWS, total_rows))
        text = "\n".join(to_lines(rng, clean_chunk(rng, fleet, rows, total_rows, span), dirty_fraction)) + "\n"
        handle.write(text)
        written += len(text.encode("utf-8"))
    return written


def estimate_rows(target_bytes: int, seed: int, days: int, servers: int, dirty_fraction: float) -> int:
    """Rows needed for about target_bytes, from the size of a 5,000-row pilot."""
    import io

    pilot_rows = 5_000
    pilot = io.StringIO()
    size = generate(pilot, pilot_rows, seed, days, servers, dirty_fraction)
    return max(1, int(target_bytes / (size / pilot_rows)))
