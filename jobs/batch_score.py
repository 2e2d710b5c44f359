"""Apply a model package (model/ of image_train or workload_train) to a folder of images or CSV files.

Images: every file under --input (recursively) is scored; undecodable files are counted and
reported, not fatal. Workload CSV: sessions are parsed and cleaned as workload_etl does,
aggregated per server and period, and each period's next-period load class is predicted.
Writes under <output>: predictions/ (CSV with header, or Parquet), summary.json and, last, _SUCCESS.
"""
import argparse
import json
import os
import sys

import numpy as np
import pandas as pd

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from canopy_jobs import cli, image_features, images, onnx_heads, storage, training  # noqa: E402
from canopy_jobs import workload_features  # noqa: E402

JOB = "batch_score"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="batch_score.py", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, help="model package folder URI (holds manifest.json and model.onnx)")
    parser.add_argument("--input", required=True, help="folder URI of images, or of workload CSV files")
    parser.add_argument("--output", required=True, help="folder URI for predictions/, summary.json, _SUCCESS")
    parser.add_argument("--format", choices=["csv", "parquet"], default="csv", help="predictions format (default csv)")
    parser.add_argument("--batch-size", type=cli.positive_int, default=16, help="images per onnxruntime call (default 16)")
    return parser


def probability_columns(labels: list) -> list:
    return [f"probability_{label}" for label in labels]


def prediction_frame(keys: dict, labels: list, label_index, probabilities, errors) -> pd.DataFrame:
    frame = pd.DataFrame(keys)
    frame["predictedLabel"] = [None if index is None else labels[int(index)] for index in label_index]
    for position, column in enumerate(probability_columns(labels)):
        frame[column] = [None if row is None else float(row[position]) for row in probabilities]
    frame["error"] = errors
    return frame


def score_images(spark, args, manifest, model_bytes):
    labels = manifest["labels"]
    preprocessing = images.from_description(manifest["preprocessing"])
    broadcast = spark.sparkContext.broadcast(model_bytes)
    batch_size = args.batch_size
    input_name = manifest["model"]["inputs"][0]["name"]

    def score(frames):
        session = image_features.cached_session(broadcast.value)
        for frame in frames:
            outputs, errors = image_features.infer(session, frame["content"], preprocessing, batch_size, input_name,
                                                   [onnx_heads.LABEL, onnx_heads.PROBABILITIES])
            yield prediction_frame({"path": frame["path"]}, labels, outputs[onnx_heads.LABEL],
                                   outputs[onnx_heads.PROBABILITIES], errors)

    image_features.arrow_batches_for_images(spark)
    files = spark.read.format("binaryFile").option("recursiveFileLookup", "true").load(args.input).select("path", "content")
    schema = "path string, predictedLabel string, " + \
             ", ".join(f"`{column}` double" for column in probability_columns(labels)) + ", error string"
    return files.mapInPandas(score, schema)


def score_workload(spark, args, manifest, model_bytes):
    labels = manifest["labels"]
    workload_features.configure(spark)
    period_seconds = manifest["preprocessing"]["periodMinutes"] * 60
    clean = workload_features.parse(spark, args.input).where("dirtyReason IS NULL")
    periods = workload_features.server_periods(clean, period_seconds).drop("nextMeanTotalLoad")
    broadcast = spark.sparkContext.broadcast(model_bytes)
    specs = manifest["model"]["inputs"]

    def score(frames):
        session = image_features.cached_session(broadcast.value)
        for frame in frames:
            feeds = {spec["name"]: frame[spec["name"]].to_numpy(object if spec["dtype"] == "string" else np.float32)
                     .reshape(-1, 1) for spec in specs}
            label_index, probabilities = session.run([onnx_heads.LABEL, onnx_heads.PROBABILITIES], feeds) \
                if len(frame) else ([], [])
            yield prediction_frame({"serverIP": frame["serverIP"], "periodStart": frame["periodStart"]}, labels,
                                   list(label_index), list(probabilities), [None] * len(frame))

    schema = "serverIP string, periodStart timestamp, predictedLabel string, " + \
             ", ".join(f"`{column}` double" for column in probability_columns(labels)) + ", error string"
    return periods.mapInPandas(score, schema)


def run_scoring(args) -> None:
    spark = training.spark_session(f"canopy-{JOB}")
    training.start_output(spark, args.output)
    try:
        manifest = json.loads(storage.read_bytes(spark, storage.join(args.model, "manifest.json")))
        model_bytes = storage.read_bytes(spark, storage.join(args.model, manifest["model"]["file"]))
    except Exception as error:
        raise cli.JobError(f"cannot read a model package at {args.model}: {error}")
    if not storage.exists(spark, args.input):
        raise cli.JobError(f"input not found: {args.input}")
    timer = training.StageTimer()
    scorers = {"image-classification": score_images, "tabular-classification": score_workload}
    if manifest.get("task") not in scorers:
        raise cli.JobError(f"unsupported package task {manifest.get('task')!r}")
    predictions_uri = storage.join(args.output, "predictions")
    with timer.stage("score"):
        predictions = scorers[manifest["task"]](spark, args, manifest, model_bytes)
        writer = predictions.write.mode("overwrite")
        (writer.option("header", "true").csv(predictions_uri) if args.format == "csv" else writer.parquet(predictions_uri))
    written = spark.read.parquet(predictions_uri) if args.format == "parquet" else \
        spark.read.option("header", "true").csv(predictions_uri)
    counts = {row["predictedLabel"]: row["count"] for row in written.groupBy("predictedLabel").count().collect()}
    summary = {
        "task": manifest["task"],
        "model": args.model,
        "input": args.input,
        "format": args.format,
        "scored": sum(count for label, count in counts.items() if label is not None),
        "skipped": counts.get(None, 0),
        "perClass": {label: counts.get(label, 0) for label in manifest["labels"]},
        "durationsSeconds": timer.seconds,
    }
    storage.write_text(spark, storage.join(args.output, "summary.json"), json.dumps(summary, indent=2, sort_keys=True))
    storage.write_text(spark, storage.join(args.output, "_SUCCESS"), "")
    print(f"{JOB}: scored {summary['scored']} ({summary['skipped']} skipped); wrote {args.output}")


def main(argv=None) -> int:
    return cli.run(JOB, build_parser(), run_scoring, argv)


if __name__ == "__main__":
    sys.exit(main())
