"""ETL of the server-session CSV: parse with an explicit schema, quarantine dirty rows, build
per-server-period features with the next period's load.

Writes under <output>: features/ (Parquet, one row per server and period), quarantine/
(Parquet: the raw line, why it was rejected, its file), etl-metrics.json and, last, _SUCCESS.
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from canopy_jobs import cli, storage, training, workload_features  # noqa: E402

JOB = "workload_etl"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="workload_etl.py", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--input", required=True, help="CSV file or folder URI (16 columns, no header)")
    parser.add_argument("--output", required=True, help="folder URI for features/, quarantine/, etl-metrics.json, _SUCCESS")
    parser.add_argument("--period-minutes", type=cli.positive_int, default=60,
                        help="length of a forecasting period in minutes (default 60)")
    return parser


def input_bytes(spark, uri: str) -> int:
    path = spark._jvm.org.apache.hadoop.fs.Path(uri)
    filesystem = path.getFileSystem(spark._jsc.hadoopConfiguration())
    return int(filesystem.getContentSummary(path).getLength())


def run_etl(args) -> None:
    spark = training.spark_session(f"canopy-{JOB}")
    workload_features.configure(spark)
    training.start_output(spark, args.output)
    timer = training.StageTimer()
    if not storage.exists(spark, args.input):
        raise cli.JobError(f"input not found: {args.input}")
    size = input_bytes(spark, args.input)

    parsed = workload_features.parse(spark, args.input)
    quarantine_uri = storage.join(args.output, "quarantine")
    features_uri = storage.join(args.output, "features")
    with timer.stage("quarantine"):
        parsed.where("dirtyReason IS NOT NULL").select("value", "dirtyReason", "sourceFile") \
            .write.mode("overwrite").parquet(quarantine_uri)
        dirty = {row["dirtyReason"]: row["count"]
                 for row in spark.read.parquet(quarantine_uri).groupBy("dirtyReason").count().collect()}
    with timer.stage("features"):
        clean = parsed.where("dirtyReason IS NULL")
        workload_features.server_periods(clean, args.period_minutes * 60) \
            .write.mode("overwrite").parquet(features_uri)
        summary = spark.read.parquet(features_uri).agg(
            {"sessions": "sum", "*": "count", "nextMeanTotalLoad": "count"}).first()
    clean_rows = int(summary["sum(sessions)"] or 0)
    if clean_rows == 0:
        raise cli.JobError(f"no clean rows in {args.input} ({sum(dirty.values())} dirty)")
    document = {
        "input": args.input,
        "inputBytes": size,
        "periodMinutes": args.period_minutes,
        "rows": {"read": clean_rows + sum(dirty.values()), "clean": clean_rows, "dirty": sum(dirty.values())},
        "dirtyByReason": dirty,
        "serverPeriods": int(summary["count(1)"]),
        "labelledServerPeriods": int(summary["count(nextMeanTotalLoad)"]),
        "durationsSeconds": timer.seconds,
    }
    storage.write_text(spark, storage.join(args.output, "etl-metrics.json"), json.dumps(document, indent=2, sort_keys=True))
    storage.write_text(spark, storage.join(args.output, "_SUCCESS"), "")
    print(f"{JOB}: {document['rows']['read']} rows ({document['rows']['dirty']} quarantined) -> "
          f"{document['serverPeriods']} server periods; wrote {args.output}")


def main(argv=None) -> int:
    return cli.run(JOB, build_parser(), run_etl, argv)


if __name__ == "__main__":
    sys.exit(main())
