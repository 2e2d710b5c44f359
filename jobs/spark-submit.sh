#!/usr/bin/env bash
# Local runner: run one of the jobs on the venv's pyspark (spark-submit under the hood) and Java,
# shipping the canopy_jobs package as --py-files exactly as a Livy batch on HDInsight gets it.
#   jobs/spark-submit.sh image_train.py --input ... --output ...
# Environment: CANOPY_SPARK_MASTER (default local[2]), CANOPY_SPARK_DRIVER_MEMORY (default 4g),
# CANOPY_SPARK_SHUFFLE_PARTITIONS (default 8), JAVA_HOME (else java on PATH).
# The braces make bash read the whole script before running it, so editing the file
# cannot disturb a run in progress.
{
set -euo pipefail

JOBS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV="$JOBS_DIR/.venv"

if [ $# -lt 1 ]; then
  echo "usage: jobs/spark-submit.sh <job.py> [job arguments...]" >&2
  exit 2
fi
if [ ! -x "$VENV/bin/spark-submit" ] || [ ! -x "$VENV/bin/python" ]; then
  echo "spark-submit.sh: the jobs virtual environment is missing ($VENV); run jobs/setup.sh first" >&2
  exit 3
fi
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
if ! "$JAVA" -version >/dev/null 2>&1; then
  echo "spark-submit.sh: Java not found (${JAVA_HOME:+JAVA_HOME=$JAVA_HOME, }PATH=$PATH); install a JDK 17 (Debian: apt-get install openjdk-17-jre-headless) or set JAVA_HOME" >&2
  exit 3
fi

SCRIPT="$1"
shift
if [ ! -f "$SCRIPT" ] && [ -f "$JOBS_DIR/$SCRIPT" ]; then
  SCRIPT="$JOBS_DIR/$SCRIPT"
fi
if [ ! -f "$SCRIPT" ]; then
  echo "spark-submit.sh: no such job script: $SCRIPT" >&2
  exit 2
fi

# One bundle per run: several candidates may be submitted at once.
WORK="$(mktemp -d "${TMPDIR:-/tmp}/canopy-submit.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
"$VENV/bin/python" "$JOBS_DIR/canopy_jobs/bundle.py" "$JOBS_DIR" "$WORK/canopy_jobs.zip"

export PYSPARK_PYTHON="$VENV/bin/python"
export SPARK_LOCAL_IP="${SPARK_LOCAL_IP:-127.0.0.1}"
# The job's Python process is the driver and starts the venv's spark-submit itself with these
# arguments (pyspark's own launch path). Unlike `spark-submit job.py`, which merges the
# driver's stderr into stdout, this keeps the job's error line on stderr, and a wrong argument
# fails before any JVM starts.
PYSPARK_SUBMIT_ARGS="--master ${CANOPY_SPARK_MASTER:-local[2]}"
PYSPARK_SUBMIT_ARGS+=" --driver-memory ${CANOPY_SPARK_DRIVER_MEMORY:-4g}"
# The throughput collector: G1's concurrent threads take a share of two cores that a batch job needs
# (the demo's grid as one application: 72-74 s with G1, 67-69 s with it).
PYSPARK_SUBMIT_ARGS+=" --driver-java-options \"-Dlog4j2.configurationFile=file:$JOBS_DIR/conf/log4j2.properties -XX:+UseParallelGC\""
PYSPARK_SUBMIT_ARGS+=" --conf spark.ui.enabled=${CANOPY_SPARK_UI:-false} --conf spark.ui.showConsoleProgress=false"
PYSPARK_SUBMIT_ARGS+=" --conf spark.sql.shuffle.partitions=${CANOPY_SPARK_SHUFFLE_PARTITIONS:-8}"
PYSPARK_SUBMIT_ARGS+=" --py-files $WORK/canopy_jobs.zip pyspark-shell"
export PYSPARK_SUBMIT_ARGS

set +e
"$VENV/bin/python" "$SCRIPT" "$@"
status=$?
set -e
exit $status
}
