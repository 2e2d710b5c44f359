"""Parsing, quarantine and per-server-period features of the workload CSV (Spark).

Each raw line is kept beside its parse so a dirty row can be quarantined verbatim with the
reason it was rejected. Clean sessions are aggregated per server and period; a period's label
source is the same server's mean TotalLoad in the next period.
"""
from pyspark.sql import Window
from pyspark.sql import functions as F

from canopy_jobs.workload_schema import COLUMNS, NAMES

NUMERIC_FEATURES = [
    "sessions", "meanConnections", "totalMbytes", "meanServiceGrade", "http1Share",
    "meanSubService1Load", "meanSubService2Load", "meanSubService3Load", "meanSubService4Load",
    "meanSubService5Load", "meanSecureBytesLoad", "meanTotalLoad", "maxTotalLoad", "meanDurationSeconds",
]
ONE_HOT_NUMERIC = ["hourOfDay", "dayOfWeek"]
CATEGORICAL = ["serverType"]
FEATURE_DEFINITIONS = {
    "sessions": "count of clean sessions of the server starting in the period",
    "meanConnections": "mean ConcurrentConnectionCounts",
    "totalMbytes": "sum of MbytesTransferred",
    "meanServiceGrade": "mean ServiceGrade",
    "http1Share": "mean HTTP1 (0/1)",
    "meanSubService1Load": "mean SubService_1_Load (likewise 2-5)",
    "meanSecureBytesLoad": "mean SecureBytes_Load",
    "meanTotalLoad": "mean TotalLoad",
    "maxTotalLoad": "max TotalLoad",
    "meanDurationSeconds": "mean of SessionEnd - SessionStart in seconds",
    "hourOfDay": "hour (0-23, UTC) of the period start",
    "dayOfWeek": "day of week of the period start, 0 = Sunday ... 6 = Saturday (UTC)",
    "serverType": "ServerType of the server's sessions",
}


def configure(spark) -> None:
    # Hours and days of week must not depend on the machine's time zone; a malformed field
    # is a null to classify, not an exception (the ANSI default of Spark 4).
    spark.conf.set("spark.sql.session.timeZone", "UTC")
    spark.conf.set("spark.sql.ansi.enabled", "false")


def parse(spark, input_uri: str):
    """Every line with its typed columns and dirtyReason (null for a clean row).

    Lines are split on commas and each field cast to its schema type with try_cast: as fast
    as Spark's CSV reader, and the raw line stays available for the quarantine."""
    tokens = F.split("value", ",")
    lines = spark.read.text(input_uri).where(F.length("value") > 0).select("value", tokens.alias("tokens"))
    typed = [F.expr(f"try_cast(tokens[{index}] AS {kind})").alias(name) for index, (name, kind) in enumerate(COLUMNS)]
    frame = lines.select("value", F.size("tokens").alias("fieldCount"),
                         F.array_contains("tokens", "").alias("hasEmptyField"), *typed)
    wrong_type = F.lit(False)
    for name in NAMES:
        wrong_type = wrong_type | F.col(name).isNull()
    negative = F.lit(False)
    for name, kind in COLUMNS:
        if kind in ("int", "double"):
            negative = negative | (F.col(name) < 0)
    reason = (
        F.when(F.col("fieldCount") != len(NAMES), "field_count")
        .when(F.col("hasEmptyField"), "missing_field")
        .when(wrong_type, "wrong_type")
        .when((F.col("SessionEnd") < F.col("SessionStart")) | negative, "out_of_range")
    )
    # Spark would push a filter on dirtyReason below this projection and inline the split and
    # every cast into it dozens of times. Appending an empty slice of input_file_name(), which
    # is nondeterministic, keeps the filter above (null stays null: concat(null, '') is null).
    barrier = F.substring(F.input_file_name(), 1, 0)
    return frame.select("value", *NAMES, F.concat(reason, barrier).alias("dirtyReason"),
                        F.input_file_name().alias("sourceFile"))


def server_periods(clean, period_seconds: int):
    """One row per (server, period) with NUMERIC_FEATURES, one-hot sources and nextMeanTotalLoad."""
    start = F.unix_timestamp("SessionStart")
    period = (F.floor(start / period_seconds) * period_seconds).cast("long")
    aggregates = [
        F.max("ServerType").alias("serverType"),
        F.count(F.lit(1)).alias("sessions"),
        F.avg("ConcurrentConnectionCounts").alias("meanConnections"),
        F.sum("MbytesTransferred").alias("totalMbytes"),
        F.avg("ServiceGrade").alias("meanServiceGrade"),
        F.avg("HTTP1").alias("http1Share"),
        *[F.avg(f"SubService_{i}_Load").alias(f"meanSubService{i}Load") for i in range(1, 6)],
        F.avg("SecureBytes_Load").alias("meanSecureBytesLoad"),
        F.avg("TotalLoad").alias("meanTotalLoad"),
        F.max("TotalLoad").alias("maxTotalLoad"),
        F.avg(F.unix_timestamp("SessionEnd") - start).alias("meanDurationSeconds"),
    ]
    grouped = clean.groupBy(F.col("ServerIP").alias("serverIP"), period.alias("periodStartSeconds")).agg(*aggregates)
    at = F.to_timestamp(F.from_unixtime("periodStartSeconds"))
    by_server = Window.partitionBy("serverIP").orderBy("periodStartSeconds")
    following = F.lead("periodStartSeconds").over(by_server)
    next_load = F.when(following == F.col("periodStartSeconds") + period_seconds, F.lead("meanTotalLoad").over(by_server))
    # Features are float32: the ONNX package takes float inputs, and trees then split identically.
    return grouped.select(
        "serverIP", "periodStartSeconds", at.alias("periodStart"), "serverType",
        F.hour(at).cast("float").alias("hourOfDay"), (F.dayofweek(at) - 1).cast("float").alias("dayOfWeek"),
        *[F.col(name).cast("float").alias(name) for name in NUMERIC_FEATURES],
        next_load.alias("nextMeanTotalLoad"),
    )
