#!/usr/bin/env bash
# Full Fashion-MNIST (60,000 train / 10,000 test) through a SqueezeNet featurizer, one
# image_train candidate per classifier, features computed once (--features-cache).
# Writes bench/results/fashion-mnist.json from every featurizer's runs under .canopy/bench/.
# Environment: CANOPY_BENCH_LAYER (default fire9/concat_1, the last fire module; fire5/concat_1 is
# the 27x27 map before the last max-pool), CANOPY_BENCH_GRID (default 2: the layer averaged over a
# 2x2 grid; 1 with fire9 = the global 512-value pooling setup.sh prepares) and CANOPY_BENCH_CLASSIFIERS
# (default all five, space-separated). Candidates of bench/results/fashion-mnist.json that this run does not train stay
# in it with the date they were measured. Hours on 2 cores.
# The braces make bash read the whole script before running it, so editing the file
# cannot disturb a run in progress.
{
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
GRID="${CANOPY_BENCH_GRID:-2}"
LAYER="${CANOPY_BENCH_LAYER:-fire9/concat_1}"
SHARED_DATA="${CANOPY_SHARED_DATA:-$ROOT/../shared/data}"
DATA="$ROOT/.canopy/data/fashion-mnist"
SEED=42
declare -A PARAMS=(
  [logistic_regression]='{"regParam": 0.0001, "maxIter": 300}'
  [linear_svm]='{"regParam": 0.0001, "maxIter": 200}'
  [random_forest]='{"numTrees": 100, "maxDepth": 15, "featureSubsetStrategy": "sqrt"}'
  [multilayer_perceptron]='{"hiddenUnits": 128, "maxIter": 100}'
  [gradient_boosted_trees]='{"maxIter": 30, "maxDepth": 5, "featureSubsetStrategy": "sqrt"}'
)
read -r -a ORDER <<< "${CANOPY_BENCH_CLASSIFIERS:-logistic_regression linear_svm random_forest multilayer_perceptron gradient_boosted_trees}"

"$ROOT/jobs/setup.sh"
if [ "$GRID" = 1 ] && [ "$LAYER" = fire9/concat_1 ]; then
  NAME=squeezenet1.1-pooled
else
  NAME="squeezenet1.1-grid$GRID"
  [ "$LAYER" = fire9/concat_1 ] || NAME="squeezenet1.1-${LAYER%%/*}-grid$GRID"
  "$ROOT/jobs/.venv/bin/python" "$ROOT/jobs/prepare_featurizer.py" --grid "$GRID" --layer "$LAYER" \
    --model "$SHARED_DATA/models/squeezenet1.1/squeezenet1.1-fp16.onnx" --output "$ROOT/.canopy/models/$NAME.onnx"
fi
"$ROOT/jobs/.venv/bin/python" "$ROOT/jobs/import_fashion_mnist.py" --output "$DATA" --seed "$SEED"
RUNS="$ROOT/.canopy/bench/fashion-mnist/$NAME"
mkdir -p "$RUNS"
timings="$RUNS/wall-milliseconds.tsv"
touch "$timings"
# Dense 2,048-value features of 60,000 images need more than the runner's default 4g.
export CANOPY_SPARK_DRIVER_MEMORY="${CANOPY_SPARK_DRIVER_MEMORY:-8g}"
for classifier in "${ORDER[@]}"; do
  [ -n "${PARAMS[$classifier]:-}" ] || { echo "fashion-mnist bench: unknown classifier '$classifier' (known: ${!PARAMS[*]})" >&2; exit 2; }
  sed -i "/^$classifier\t/d" "$timings"
  echo "fashion-mnist bench: $NAME $classifier ${PARAMS[$classifier]}"
  started=$(date +%s%N)
  "$ROOT/jobs/spark-submit.sh" image_train.py --input "$DATA" --output "$RUNS/$classifier" \
    --featurizer "$ROOT/.canopy/models/$NAME.onnx" --classifier "$classifier" \
    --params "${PARAMS[$classifier]}" --seed "$SEED" --features-cache "$ROOT/.canopy/cache/fashion-mnist-$NAME"
  echo -e "$classifier\t$(( ($(date +%s%N) - started) / 1000000 ))" >> "$timings"
done
"$ROOT/jobs/.venv/bin/python" "$ROOT/bench/fashion_mnist_report.py" --runs "$ROOT/.canopy/bench/fashion-mnist" \
  --previous "$ROOT/bench/results/fashion-mnist.json" --output "$ROOT/bench/results/fashion-mnist.json"
exit
}
