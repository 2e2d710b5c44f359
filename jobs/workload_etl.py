"""Entry point of the server-session ETL as its own application (see canopy_jobs/workload_etl.py).

workload_train.py --raw-input runs the same ETL inside the training application instead.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from canopy_jobs import cli, training, workload_etl  # noqa: E402


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="workload_etl.py", description=workload_etl.__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--input", required=True, help="CSV file or folder URI (16 columns, no header)")
    parser.add_argument("--output", required=True, help="folder URI for features/, quarantine/, etl-metrics.json, _SUCCESS")
    parser.add_argument("--period-minutes", type=cli.positive_int, default=workload_etl.DEFAULT_PERIOD_MINUTES,
                        help=f"length of a forecasting period in minutes (default {workload_etl.DEFAULT_PERIOD_MINUTES})")
    return parser


def run_etl(args) -> None:
    spark = training.spark_session(f"canopy-{workload_etl.JOB}")
    workload_etl.run(spark, args.input, args.output, args.period_minutes)


def main(argv=None) -> int:
    return cli.run(workload_etl.JOB, build_parser(), run_etl, argv)


if __name__ == "__main__":
    sys.exit(main())
