#!/usr/bin/env bash
# Set up (idempotently) and run the jobs' pytest suite. Extra arguments go to pytest.
# pytest's exit code 5 (no tests collected) is a failure here; every other code passes through.
# The braces make bash read the whole script before running it, so editing the file
# cannot disturb a run in progress.
{
set -uo pipefail

JOBS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
"$JOBS_DIR/setup.sh" || exit $?
cd "$JOBS_DIR" || exit 1
"$JOBS_DIR/.venv/bin/python" -m pytest tests "$@"
status=$?
if [ "$status" -eq 5 ]; then
  echo "run-tests.sh: pytest collected no tests" >&2
  exit 1
fi
exit "$status"
}
