#!/usr/bin/env bash
# Idempotent set-up of the cluster-environment check (jobs/tests/test_cluster_environment.py); fast when done.
#  1. the packed environment for the cluster (jobs/pack_environment.py; cached per lock hash)
#  2. Spark 3.3 as HDInsight 5.1 runs it: pyspark==3.3.4 from PyPI in .canopy/cluster-check/spark-3.3.4
#     (its pyspark/python/lib holds pyspark.zip and the py4j zip, as a Spark distribution does)
#  3. a bare CPython 3.8 (the cluster's minor version; a venv without pip: the standard library only)
# Prints the three paths as KEY=VALUE lines. Environment: CANOPY_CLUSTER_PYTHON (a python3.8; default: python3.8
# on PATH, else pyenv's newest 3.8).
# The braces make bash read the whole script before running it, so editing the file
# cannot disturb a run in progress.
{
set -euo pipefail

JOBS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(dirname "$JOBS_DIR")"
VENV_PYTHON="$JOBS_DIR/.venv/bin/python"
CHECK_DIR="$REPO_ROOT/.canopy/cluster-check"
SPARK_VERSION=3.3.4
SPARK_DIR="$CHECK_DIR/spark-$SPARK_VERSION"
BARE="$CHECK_DIR/python3.8-bare"

fail() { echo "setup_cluster_check: error: $*" >&2; exit 1; }

[ -x "$VENV_PYTHON" ] || fail "$VENV_PYTHON is missing; run jobs/setup.sh first"

# 1. The environment
archive="$("$VENV_PYTHON" "$JOBS_DIR/pack_environment.py")"

# 2. Spark 3.3
if [ ! -f "$SPARK_DIR/.canopy-complete" ]; then
  rm -rf "$SPARK_DIR"
  "$VENV_PYTHON" -m pip install --quiet --disable-pip-version-check --no-deps --target "$SPARK_DIR" "pyspark==$SPARK_VERSION" >&2
  [ -f "$SPARK_DIR/pyspark/python/lib/pyspark.zip" ] || fail "pyspark $SPARK_VERSION has no python/lib/pyspark.zip"
  touch "$SPARK_DIR/.canopy-complete"
fi

# 3. A Python with nothing installed
find_python38() {
  if [ -n "${CANOPY_CLUSTER_PYTHON:-}" ]; then echo "$CANOPY_CLUSTER_PYTHON"; return; fi
  # pyenv's shim is on PATH even where 3.8 is not the selected version: ask the interpreter itself.
  if python3.8 -c '' >/dev/null 2>&1; then python3.8 -c 'import sys; print(sys.executable)'; return; fi
  local root
  root="$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")"
  find "$root/versions" -maxdepth 3 -path '*/3.8.*/bin/python3.8' 2>/dev/null | sort -V | tail -1
}
if [ ! -x "$BARE/bin/python" ]; then
  python38="$(find_python38)"
  [ -n "$python38" ] && [ -x "$python38" ] \
    || fail "no CPython 3.8 found (HDInsight 5.1's Python); install one (pyenv install 3.8) or set CANOPY_CLUSTER_PYTHON"
  rm -rf "$BARE"
  "$python38" -m venv --without-pip "$BARE"
fi

echo "ARCHIVE=$archive"
echo "SPARK_HOME=$SPARK_DIR/pyspark"
echo "BARE_PYTHON=$BARE/bin/python"
exit
}
