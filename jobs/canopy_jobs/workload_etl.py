"""ETL of the server-session CSV: parse with an explicit schema, quarantine dirty rows, build
per-server-period features with the next period's load.

Writes under its output: features/ (Parquet, one row per server and period), quarantine/
(Parquet: the raw line, why it was rejected, its file), etl-metrics.json and, last, _SUCCESS.
In the package (not a top-level script) so that workload_train can run it in its own application.
"""
import json

from canopy_jobs import cli, storage, training, workload_features

JOB = "workload_etl"
METRICS = "etl-metrics.json"
DEFAULT_PERIOD_MINUTES = 60


def is_finished(spark, output: str) -> bool:
    return storage.exists(spark, storage.join(output, "_SUCCESS")) and storage.exists(spark, storage.join(output, METRICS))


def input_bytes(spark, uri: str) -> int:
    path = spark._jvm.org.apache.hadoop.fs.Path(uri)
    filesystem = path.getFileSystem(spark._jsc.hadoopConfiguration())
    return int(filesystem.getContentSummary(path).getLength())


def run(spark, input_uri: str, output: str, period_minutes: int) -> dict:
    """Runs the ETL of input_uri into output and returns what it wrote to etl-metrics.json."""
    workload_features.configure(spark)
    training.start_output(spark, output)
    timer = training.StageTimer()
    if not storage.exists(spark, input_uri):
        raise cli.JobError(f"input not found: {input_uri}")
    size = input_bytes(spark, input_uri)

    parsed = workload_features.parse(spark, input_uri)
    quarantine_uri = storage.join(output, "quarantine")
    features_uri = storage.join(output, "features")
    with timer.stage("quarantine"):
        parsed.where("dirtyReason IS NOT NULL").select("value", "dirtyReason", "sourceFile") \
            .write.mode("overwrite").parquet(quarantine_uri)
        dirty = {row["dirtyReason"]: row["count"]
                 for row in spark.read.parquet(quarantine_uri).groupBy("dirtyReason").count().collect()}
    with timer.stage("features"):
        clean = parsed.where("dirtyReason IS NULL")
        workload_features.server_periods(clean, period_minutes * 60) \
            .write.mode("overwrite").parquet(features_uri)
        summary = spark.read.parquet(features_uri).agg(
            {"sessions": "sum", "*": "count", "nextMeanTotalLoad": "count"}).first()
    clean_rows = int(summary["sum(sessions)"] or 0)
    if clean_rows == 0:
        raise cli.JobError(f"no clean rows in {input_uri} ({sum(dirty.values())} dirty)")
    document = {
        "input": input_uri,
        "inputBytes": size,
        "periodMinutes": period_minutes,
        "rows": {"read": clean_rows + sum(dirty.values()), "clean": clean_rows, "dirty": sum(dirty.values())},
        "dirtyByReason": dirty,
        "serverPeriods": int(summary["count(1)"]),
        "labelledServerPeriods": int(summary["count(nextMeanTotalLoad)"]),
        "durationsSeconds": timer.seconds,
    }
    storage.write_text(spark, storage.join(output, METRICS), json.dumps(document, indent=2, sort_keys=True))
    storage.write_text(spark, storage.join(output, "_SUCCESS"), "")
    print(f"{JOB}: {document['rows']['read']} rows ({document['rows']['dirty']} quarantined) -> "
          f"{document['serverPeriods']} server periods; wrote {output}")
    return document


def ensure(spark, input_uri: str, output: str, period_minutes: int) -> bool:
    """Runs the ETL unless output already holds a finished one (a resubmitted batch reuses it); True when it ran."""
    if is_finished(spark, output):
        print(f"{JOB}: reusing the finished ETL output {output}")
        return False
    run(spark, input_uri, output, period_minutes)
    return True
