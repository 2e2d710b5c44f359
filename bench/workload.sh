#!/usr/bin/env bash
# Workload ETL + training throughput on generated files of 0.5, 1 and 2 GB (override with
# arguments, e.g. bench/workload.sh --sizes-gb 0.1 0.2). Writes bench/results/workload.json and
# deletes the generated data afterwards. Needs about 2.5 GB of free disk at the largest size.
# The braces make bash read the whole script before running it, so editing the file
# cannot disturb a run in progress.
{
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$ROOT/jobs/setup.sh"
"$ROOT/jobs/.venv/bin/python" "$ROOT/bench/workload_bench.py" "$@"
exit
}
