#!/usr/bin/env bash
# The README's test command (`npm test`): installs what is missing, builds (the app, then the devhost and the model
# server), lints, then runs
# jest (unit + integration on the real local stack) and the jobs' pytest suite, and ends with one
# summary line across both.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT" || exit 1
RESULTS="$ROOT/.canopy/test-results"
mkdir -p "$RESULTS"
rm -f "$RESULTS"/jest.json "$RESULTS"/pytest.xml

node scripts/ensure-node-modules.js || exit $?
npm run build:all --silent || exit $?
npm run lint --silent || { echo "lint failed: run 'npm run format' for style, fix the rest by hand" >&2; exit 1; }

# The pipeline tests run the Spark jobs: their environment, data and featurizer come first.
bash jobs/setup.sh || exit $?
# The dashboard's browser tests drive Debian's Chromium.
bash scripts/ensure-chromium.sh || exit $?

failed=0
npx jest --runInBand --json --outputFile "$RESULTS/jest.json" "$@" || failed=1
if [ -x jobs/run-tests.sh ] && [ "$#" -eq 0 ]; then
  bash jobs/run-tests.sh -q --junitxml="$RESULTS/pytest.xml" || failed=1
fi
node scripts/summarize-tests.js "$RESULTS" || failed=1
exit "$failed"
