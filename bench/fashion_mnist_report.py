"""Collect the Fashion-MNIST bench runs into bench/results/fashion-mnist.json.

--runs holds one folder per featurizer, each with one image_train output per classifier and
wall-milliseconds.tsv (classifier, wall time of its spark-submit). --previous: an earlier result whose
candidates this run did not train are kept, each with the date it was measured.
"""
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
FEATURIZERS = {
    "squeezenet1.1-pooled": "SqueezeNet 1.1 fire9/concat_1, global average (512 values)",
    "squeezenet1.1-grid2": "SqueezeNet 1.1 fire9/concat_1, average over a 2x2 grid of 7x7 windows (2,048 values)",
    "squeezenet1.1-fire5-grid3": "SqueezeNet 1.1 fire5/concat_1 (27x27, before the last max-pool), average over a 3x3 "
                                 "grid of 9x9 windows (2,304 values)",
}


def read_wall_seconds(path: str) -> dict:
    if not os.path.exists(path):
        return {}
    with open(path, encoding="utf-8") as handle:
        return {name: int(ms) / 1000 for name, ms in (line.rstrip("\n").split("\t") for line in handle if line.strip())}


def candidates_of(folder: str, featurizer: str) -> list:
    wall = read_wall_seconds(os.path.join(folder, "wall-milliseconds.tsv"))
    found = []
    for classifier in sorted(os.listdir(folder)):
        metrics_path = os.path.join(folder, classifier, "metrics.json")
        success = os.path.join(folder, classifier, "_SUCCESS")
        if not os.path.exists(success):
            continue
        with open(metrics_path, encoding="utf-8") as handle:
            metrics = json.load(handle)
        found.append({
            "featurizer": featurizer,
            "featurizerDescription": FEATURIZERS.get(featurizer, featurizer),
            "classifier": classifier,
            "params": metrics["params"],
            "accuracy": metrics["accuracy"],
            "classAverageAccuracy": metrics["classAverageAccuracy"],
            "packageAgreement": metrics["packageAgreement"],
            "rows": metrics["rows"],
            "skippedFiles": metrics["skippedFiles"],
            "featuresFromCache": metrics["featuresFromCache"],
            "durationsSeconds": metrics["durationsSeconds"],
            "wallSeconds": wall.get(classifier),
            # A run folder stays until its classifier is trained again: it was measured when it finished.
            "measured": datetime.datetime.fromtimestamp(os.path.getmtime(success), datetime.timezone.utc)
            .isoformat(timespec="seconds"),
        })
    return found


def kept_from(previous_path, fresh: list) -> list:
    """The previous result's candidates that no fresh run replaces, each with when it was measured."""
    if not previous_path or not os.path.exists(previous_path):
        return []
    with open(previous_path, encoding="utf-8") as handle:
        previous = json.load(handle)
    trained = {(candidate["featurizer"], candidate["classifier"]) for candidate in fresh}
    return [dict(candidate, measured=candidate.get("measured", previous["date"])) for candidate in previous["candidates"]
            if (candidate["featurizer"], candidate["classifier"]) not in trained]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", required=True)
    parser.add_argument("--output", required=True)
    parser.add_argument("--previous", help="an earlier fashion-mnist.json whose other candidates to keep")
    args = parser.parse_args()
    now = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    candidates = [candidate for featurizer in sorted(os.listdir(args.runs))
                  if os.path.isdir(os.path.join(args.runs, featurizer))
                  for candidate in candidates_of(os.path.join(args.runs, featurizer), featurizer)]
    candidates += kept_from(args.previous, candidates)
    best = max(candidates, key=lambda candidate: candidate["accuracy"])
    result = {
        "dataset": "Fashion-MNIST (Debian dataset-fashion-mnist), 60,000 train / 10,000 test, 10 classes",
        "sparkMaster": os.environ.get("CANOPY_SPARK_MASTER", "local[2]"),
        "machineCores": os.cpu_count(),
        "python": platform.python_version(),
        "date": now,
        "note": "wall and stage seconds were measured while other test suites shared the 2 cores",
        "candidates": candidates,
        "best": {key: best[key] for key in ("featurizer", "classifier", "accuracy")},
        "paperBaselines": PAPER_BASELINES,
        "bestBeatsAllBaselines": best["accuracy"] > max(PAPER_BASELINES.values()),
    }
    with open(args.output, "w", encoding="utf-8") as handle:
        json.dump(result, handle, indent=2)
        handle.write("\n")
    for candidate in candidates:
        print(f"{candidate['featurizer']} {candidate['classifier']}: accuracy {candidate['accuracy']:.4f}")


if __name__ == "__main__":
    main()
