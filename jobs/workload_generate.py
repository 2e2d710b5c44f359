"""Generate the 16-column, header-less server-session CSV of the workload walkthrough.

Deterministic by seed, any size in constant memory, with a share of dirty rows (missing fields,
wrong types, garbage lines). Give either --rows or --size-mb.
"""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from canopy_jobs import cli, workload_generator  # noqa: E402


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="workload_generate.py", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--output", required=True, help="local CSV file to write (its folder is created)")
    size = parser.add_mutually_exclusive_group(required=True)
    size.add_argument("--rows", type=cli.positive_int, help="number of lines")
    size.add_argument("--size-mb", type=float, help="approximate file size in MB (10^6 bytes)")
    parser.add_argument("--seed", type=int, default=42, help="seed (default 42)")
    parser.add_argument("--days", type=cli.positive_int, default=14, help="days the sessions span (default 14)")
    parser.add_argument("--servers", type=cli.positive_int, default=40, help="servers in the fleet (default 40)")
    parser.add_argument("--dirty-fraction", type=cli.non_negative_float, default=0.01,
                        help="share of rows spoiled: missing field, wrong type or garbage line (default 0.01)")
    return parser


def run_generate(args) -> None:
    if args.dirty_fraction > 1:
        raise cli.JobError(f"--dirty-fraction must be in [0, 1], got {args.dirty_fraction}")
    if args.size_mb is not None and args.size_mb <= 0:
        raise cli.JobError(f"--size-mb must be > 0, got {args.size_mb}")
    settings = (args.seed, args.days, args.servers, args.dirty_fraction)
    rows = args.rows or workload_generator.estimate_rows(int(args.size_mb * 1e6), *settings)
    path = args.output[len("file://"):] if args.output.startswith("file://") else args.output
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    started = time.perf_counter()
    with open(path, "w", encoding="utf-8", newline="\n") as handle:
        size = workload_generator.generate(handle, rows, *settings)
    seconds = time.perf_counter() - started
    print(f"wrote {rows} rows, {size / 1e6:.1f} MB to {path} in {seconds:.1f} s")


def main(argv=None) -> int:
    return cli.run("workload_generate", build_parser(), run_generate, argv)


if __name__ == "__main__":
    sys.exit(main())
