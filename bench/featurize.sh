#!/usr/bin/env bash
# Featurization throughput: images/s inside Spark (local[2]) vs a raw onnxruntime loop,
# on 2,000 Fashion-MNIST test images and the pooled SqueezeNet. Writes bench/results/featurize.json.
# The braces make bash read the whole script before running it, so editing the file
# cannot disturb a run in progress.
{
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DATA="$ROOT/.canopy/data/fashion-mnist-0.2"
"$ROOT/jobs/setup.sh"
"$ROOT/jobs/.venv/bin/python" "$ROOT/jobs/import_fashion_mnist.py" --output "$DATA" --sample-fraction 0.2 --seed 42
"$ROOT/jobs/spark-submit.sh" "$ROOT/bench/featurize_bench.py" --images "$DATA" \
  --featurizer "$ROOT/.canopy/models/squeezenet1.1-pooled.onnx" --batch-size "${CANOPY_BENCH_BATCH_SIZE:-16}" \
  --output "$ROOT/bench/results/featurize.json"
exit
}
