#!/usr/bin/env bash
# Full Fashion-MNIST (60,000 train / 10,000 test) through the pooled SqueezeNet featurizer,
# one image_train candidate per classifier, features computed once (--features-cache).
# Writes bench/results/fashion-mnist.json. Takes tens of minutes on 2 cores.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DATA="$ROOT/.canopy/data/fashion-mnist"
CACHE="$ROOT/.canopy/cache/fashion-mnist-squeezenet1.1"
RUNS="$ROOT/.canopy/bench/fashion-mnist"
SEED=42
declare -A PARAMS=(
  [logistic_regression]='{"regParam": 0.0001, "maxIter": 300}'
  [linear_svm]='{"regParam": 0.0001, "maxIter": 200}'
  [random_forest]='{"numTrees": 100, "maxDepth": 15, "featureSubsetStrategy": "sqrt"}'
)
ORDER=(logistic_regression linear_svm random_forest)

"$ROOT/jobs/setup.sh"
"$ROOT/jobs/.venv/bin/python" "$ROOT/jobs/import_fashion_mnist.py" --output "$DATA" --seed "$SEED"
mkdir -p "$RUNS"
timings="$RUNS/wall-milliseconds.tsv"
: > "$timings"
for classifier in "${ORDER[@]}"; do
  echo "fashion-mnist bench: $classifier ${PARAMS[$classifier]}"
  started=$(date +%s%N)
  "$ROOT/jobs/spark-submit.sh" image_train.py --input "$DATA" --output "$RUNS/$classifier" \
    --featurizer "$ROOT/.canopy/models/squeezenet1.1-pooled.onnx" --classifier "$classifier" \
    --params "${PARAMS[$classifier]}" --seed "$SEED" --features-cache "$CACHE"
  echo -e "$classifier\t$(( ($(date +%s%N) - started) / 1000000 ))" >> "$timings"
done
"$ROOT/jobs/.venv/bin/python" "$ROOT/bench/fashion_mnist_report.py" --runs "$RUNS" --wall-milliseconds "$timings" \
  --output "$ROOT/bench/results/fashion-mnist.json"
