"""Collect the Fashion-MNIST bench runs into bench/results/fashion-mnist.json."""
import argparse
import datetime
import json
import os
import platform

# Zalando's benchmark of scikit-learn classifiers on raw pixels (github.com/zalandoresearch/fashion-mnist).
PAPER_BASELINES = {
    "LogisticRegression (raw pixels)": 0.842,
    "RandomForestClassifier (raw pixels)": 0.873,
    "SVC, RBF kernel (raw pixels)": 0.897,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", required=True, help="folder with one image_train output per classifier")
    parser.add_argument("--wall-milliseconds", required=True, help="TSV of classifier and wall milliseconds")
    parser.add_argument("--output", required=True)
    args = parser.parse_args()
    with open(args.wall_milliseconds, encoding="utf-8") as handle:
        wall = {name: int(ms) / 1000 for name, ms in (line.split("\t") for line in handle if line.strip())}
    candidates = []
    for classifier in wall:
        with open(os.path.join(args.runs, classifier, "metrics.json"), encoding="utf-8") as handle:
            metrics = json.load(handle)
        candidates.append({
            "classifier": classifier,
            "params": metrics["params"],
            "accuracy": metrics["accuracy"],
            "classAverageAccuracy": metrics["classAverageAccuracy"],
            "packageAgreement": metrics["packageAgreement"],
            "rows": metrics["rows"],
            "skippedFiles": metrics["skippedFiles"],
            "featuresFromCache": metrics["featuresFromCache"],
            "durationsSeconds": metrics["durationsSeconds"],
            "wallSeconds": wall[classifier],
        })
    best = max(candidates, key=lambda candidate: candidate["accuracy"])
    result = {
        "dataset": "Fashion-MNIST (Debian dataset-fashion-mnist), 60,000 train / 10,000 test, 10 classes",
        "featurizer": "SqueezeNet 1.1 (ImageNet), fire9/concat_1 global-average-pooled to 512 values, float32",
        "sparkMaster": os.environ.get("CANOPY_SPARK_MASTER", "local[2]"),
        "machineCores": os.cpu_count(),
        "python": platform.python_version(),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "candidates": candidates,
        "best": {"classifier": best["classifier"], "accuracy": best["accuracy"]},
        "paperBaselines": PAPER_BASELINES,
        "bestBeatsAllBaselines": best["accuracy"] > max(PAPER_BASELINES.values()),
    }
    with open(args.output, "w", encoding="utf-8") as handle:
        json.dump(result, handle, indent=2)
        handle.write("\n")
    for candidate in candidates:
        print(f"{candidate['classifier']}: accuracy {candidate['accuracy']:.4f} ({candidate['wallSeconds']:.0f} s)")


if __name__ == "__main__":
    main()
