#!/usr/bin/env bash
# Idempotent setup for the Spark jobs; fast when nothing changed. Safe from a fresh clone.
#  1. Java present (Spark needs it)
#  2. jobs/.venv with the pinned requirements (stamp keyed on requirements.txt's sha256)
#  3. Fashion-MNIST IDX files (Debian dataset-fashion-mnist) — a warning if they cannot be had
#  4. the pooled float32 SqueezeNet featurizer in .canopy/models/ (checked on ImageNet images)
# Environment: CANOPY_SHARED_DATA (default <repo>/../shared/data), CANOPY_PYTHON (default python3).
# The braces make bash read the whole script before running it, so editing the file
# cannot disturb a run in progress.
{
set -euo pipefail

JOBS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(dirname "$JOBS_DIR")"
SHARED_DATA="${CANOPY_SHARED_DATA:-$REPO_ROOT/../shared/data}"
VENV="$JOBS_DIR/.venv"
PYTHON="${CANOPY_PYTHON:-python3}"
FASHION_MNIST_DIR=/usr/share/datasets/fashion-mnist
SQUEEZENET="$SHARED_DATA/models/squeezenet1.1/squeezenet1.1-fp16.onnx"
SQUEEZENET_SHA256=21f25e3d9254af93e6218a359469fac714a017b3f9035c0f5c4acbf9a3ff7233
FEATURIZER="$REPO_ROOT/.canopy/models/squeezenet1.1-pooled.onnx"

say() { echo "setup: $*"; }
fail() { echo "setup: error: $*" >&2; exit 1; }

# 1. Java
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
if ! "$JAVA" -version >/dev/null 2>&1; then
  fail "Java is required by Spark and was not found; install a JDK 17 (Debian: apt-get install openjdk-17-jre-headless) or set JAVA_HOME"
fi

# 2. Virtual environment
requirements_hash="$(sha256sum "$JOBS_DIR/requirements.txt" | cut -d' ' -f1)"
stamp="$VENV/.canopy-requirements.sha256"
if [ ! -x "$VENV/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$requirements_hash" ]; then
  command -v "$PYTHON" >/dev/null || fail "$PYTHON not found; install Python 3.11 or set CANOPY_PYTHON"
  say "installing jobs/requirements.txt into $VENV"
  [ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$JOBS_DIR/requirements.txt"
  echo "$requirements_hash" > "$stamp"
fi

# 3. Fashion-MNIST
if [ ! -f "$FASHION_MNIST_DIR/train-images-idx3-ubyte.gz" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing Debian package dataset-fashion-mnist"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q dataset-fashion-mnist >/dev/null 2>&1 \
      || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q dataset-fashion-mnist >/dev/null 2>&1; } \
      || say "warning: apt-get could not install dataset-fashion-mnist"
  fi
  if [ ! -f "$FASHION_MNIST_DIR/train-images-idx3-ubyte.gz" ]; then
    say "warning: Fashion-MNIST is not in $FASHION_MNIST_DIR. Run 'sudo apt-get install dataset-fashion-mnist',"
    say "  or download the four .gz files of github.com/zalandoresearch/fashion-mnist (data/fashion/) and pass"
    say "  --source to jobs/import_fashion_mnist.py. Tests that need it are skipped until then."
  fi
fi

# 4. Featurizer
if [ ! -f "$SQUEEZENET" ]; then
  fail "$SQUEEZENET is missing. Get SqueezeNet 1.1 (float16 ONNX, MIT) from GitHub microsoft/Windows-Machine-Learning,
  file SharedContent/models/SqueezeNet_fp16.onnx, save it as that path (sha256 $SQUEEZENET_SHA256),
  or point CANOPY_SHARED_DATA at a folder holding models/squeezenet1.1/squeezenet1.1-fp16.onnx."
fi
featurizer_stamp="$FEATURIZER.source.sha256"
featurizer_key="$SQUEEZENET_SHA256 $(cat "$JOBS_DIR/prepare_featurizer.py" "$JOBS_DIR/canopy_jobs/onnx_featurizer.py" "$JOBS_DIR/canopy_jobs/images.py" | sha256sum | cut -d' ' -f1)"
if [ ! -f "$FEATURIZER" ] || [ "$(cat "$featurizer_stamp" 2>/dev/null)" != "$featurizer_key" ]; then
  say "preparing $FEATURIZER"
  checks=()
  CHECK_DIR="$SHARED_DATA/images/imagenet-checks"
  [ -f "$CHECK_DIR/kitten_224.png" ] && checks+=(--check "$CHECK_DIR/kitten_224.png=281")
  [ -f "$CHECK_DIR/fish.png" ] && checks+=(--check "$CHECK_DIR/fish.png=0")
  labels=()
  [ -f "$SHARED_DATA/models/squeezenet1.1/imagenet-labels.txt" ] && labels=(--labels "$SHARED_DATA/models/squeezenet1.1/imagenet-labels.txt")
  "$VENV/bin/python" "$JOBS_DIR/prepare_featurizer.py" --model "$SQUEEZENET" --sha256 "$SQUEEZENET_SHA256" \
    --layer fire9/concat_1 --channel-order BGR --output "$FEATURIZER" "${checks[@]}" "${labels[@]}"
  echo "$featurizer_key" > "$featurizer_stamp"
fi
say "ready (venv $VENV, featurizer $FEATURIZER)"
exit
}
