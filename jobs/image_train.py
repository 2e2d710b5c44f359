"""Train image-classification candidates on a pretrained ONNX featurizer.

Reads <input>/train/<label>/* and <input>/test/<label>/* (PNG or JPEG, any size, greyscale or
colour), featurizes on the executors once, trains the classifier and writes under <output>:
metrics.json, model/ (portable ONNX package + manifest.json), spark-model/ and, last, _SUCCESS.
With --grid, one application trains every candidate of the featurizer, each under <output>/<id>/
(see canopy_jobs/grid.py).
"""
import argparse
import json
import os
import sys

import numpy as np
import onnx

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from canopy_jobs import classifiers, cli, image_features, images, onnx_featurizer, onnx_heads  # noqa: E402
from canopy_jobs import grid, package, storage, training  # noqa: E402

JOB = "image_train"
SKIPPED_EXAMPLES = 20
ROWS_PER_TRAINING_PARTITION = 20_000


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="image_train.py", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--input", required=True, help="folder URI holding train/<label>/ and test/<label>/")
    parser.add_argument("--output", required=True, help="folder URI for metrics.json, model/, spark-model/, _SUCCESS")
    parser.add_argument("--featurizer", required=True, help="pooled ONNX featurizer (from prepare_featurizer.py), path or URI")
    parser.add_argument("--classifier", choices=classifiers.CLASSIFIERS, help="train one candidate under <output>")
    parser.add_argument("--params", type=cli.json_object, default={},
                        help="JSON object of hyper-parameters, e.g. '{\"regParam\": 0.01}' (see jobs/README.md)")
    grid.add_arguments(parser)
    parser.add_argument("--sample-fraction", type=cli.fraction, default=1.0,
                        help="keep this fraction of each class's images, in (0, 1] (default 1)")
    parser.add_argument("--seed", type=int, default=42, help="seed for sampling and the random forest (default 42)")
    parser.add_argument("--batch-size", type=cli.positive_int, default=16, help="images per onnxruntime call (default 16)")
    parser.add_argument("--features-cache", help="optional folder URI: reuse features computed by an earlier candidate "
                                                 "with the same input, featurizer, sample fraction and seed")
    return parser


def load_features(spark, args, featurizer_bytes: bytes, preprocessing: dict):
    """Featurized train + test rows, computed once and reused from --features-cache when it matches."""
    key = {
        "input": args.input, "featurizerSha256": package.sha256_bytes(featurizer_bytes),
        "sampleFraction": args.sample_fraction, "seed": args.seed,
    }
    if args.features_cache:
        key_uri = storage.join(args.features_cache, "cache-key.json")
        if storage.exists(spark, storage.join(args.features_cache, "_SUCCESS")) and \
                json.loads(storage.read_bytes(spark, key_uri)) == key:
            return spark.read.parquet(storage.join(args.features_cache, "features")), True
    frames = [image_features.list_images(spark, args.input, split, args.sample_fraction, args.seed)
              for split in ("train", "test")]
    featurized = image_features.featurize(spark, frames[0].unionByName(frames[1]), featurizer_bytes,
                                          preprocessing, args.batch_size)
    featurized = featurized.persist()
    if args.features_cache:
        # Written from the cached rows, which this application goes on with rather than reading them back.
        storage.delete(spark, args.features_cache)
        featurized.write.parquet(storage.join(args.features_cache, "features"))
        storage.write_text(spark, storage.join(args.features_cache, "cache-key.json"), json.dumps(key, sort_keys=True))
        storage.write_text(spark, storage.join(args.features_cache, "_SUCCESS"), "")
    return featurized, False


def labelled_vectors(frame, labels: list):
    from pyspark.ml.functions import array_to_vector
    from pyspark.sql import functions as F

    index = F.create_map(*[item for position, label in enumerate(labels) for item in (F.lit(label), F.lit(float(position)))])
    return (frame.where(F.col("error").isNull() & F.col("label").isin(labels))
            .select("split", "path", "label", index[F.col("label")].alias("labelIndex"),
                    array_to_vector("features").alias("features")))


def prepare(spark, args) -> dict:
    """Everything the candidates share: the featurizer and the featurized, labelled rows (cached)."""
    timer = training.StageTimer()
    with timer.stage("load"):
        try:
            featurizer_bytes = storage.read_bytes(spark, args.featurizer)
        except Exception as error:
            raise cli.JobError(f"cannot read featurizer {args.featurizer}: {error}")
        featurizer = onnx.load_from_string(featurizer_bytes)
        try:
            preprocessing = onnx_featurizer.read_preprocessing(featurizer)
        except ValueError as error:
            raise cli.JobError(str(error))
        folders = image_features.label_directories(spark, args.input, "train")
        for split, found in (("train", folders), ("test", image_features.label_directories(spark, args.input, "test"))):
            if not found:
                raise cli.JobError(f"no class folders under {storage.join(args.input, split)}")

    with timer.stage("featurize"):
        features, from_cache = load_features(spark, args, featurizer_bytes, preprocessing)
        summary = features.groupBy("split", "label", features["error"].isNull().alias("ok")).count().collect()
        skipped = features.where("error IS NOT NULL").select("path", "error").limit(SKIPPED_EXAMPLES).collect()
        train_counts = {row["label"]: row["count"] for row in summary if row["split"] == "train" and row["ok"]}
        labels = [label for label in folders if train_counts.get(label, 0) > 0]
        if len(labels) < 2:
            raise cli.JobError(f"need images of at least two classes under {args.input}/train, found {labels or 'none'}")
        test_count = sum(row["count"] for row in summary if row["split"] == "test" and row["ok"] and row["label"] in labels)
        if test_count == 0:
            raise cli.JobError(f"no decodable test images of the trained classes under {args.input}/test")
        total_rows = sum(row["count"] for row in summary if row["ok"])
        vectors = labelled_vectors(features, labels).coalesce(training_partitions(spark, total_rows)).persist()
        vectors.count()

    return {
        "featurizer": featurizer,
        "preprocessing": preprocessing,
        "labels": labels,
        "emptyClasses": [label for label in folders if label not in labels],
        "trainRows": vectors.where("split = 'train'"),
        "testRows": vectors.where("split = 'test'"),
        "rows": {"train": sum(train_counts.get(label, 0) for label in labels), "test": test_count},
        "skippedFiles": sum(row["count"] for row in summary if not row["ok"]),
        "skippedFileExamples": [{"path": row["path"], "error": row["error"]} for row in skipped],
        "featuresFromCache": from_cache,
        "durationsSeconds": timer.seconds,
    }


def training_partitions(spark, rows: int) -> int:
    """Every iteration of an iterative fit is a Spark job with a task per partition: on small data the tasks'
    overhead, not the arithmetic, sets the fit time, so rows are split only as far as they fill a partition."""
    return max(1, min(spark.sparkContext.defaultParallelism, -(-rows // ROWS_PER_TRAINING_PARTITION)))


def train_candidate(spark, args, shared: dict, candidate: dict, output: str, featurize_share: float) -> None:
    classifier = candidate["classifier"]
    if classifier not in classifiers.CLASSIFIERS:
        raise cli.JobError(f"unknown classifier {classifier!r}; choose one of {', '.join(classifiers.CLASSIFIERS)}")
    params = classifiers.resolve_params(classifier, candidate["params"])
    featurizer, labels = shared["featurizer"], shared["labels"]
    timings = grid.Timings(featurize_share)

    with timings.phase("fit"):
        model = classifiers.build(classifier, params, args.seed).fit(shared["trainRows"])

    with timings.phase("evaluate"):
        predicted = training.collect_predictions(classifiers.transform(model, shared["testRows"]),
                                                 classifiers.score_column(classifier),
                                                 extra_columns=["features"])
        quality = training.evaluate(predicted, labels)

    with timings.phase("write"):
        spark_model_uri = storage.join(output, "spark-model")
        model.write().overwrite().save(spark_model_uri)
        feature_count = len(predicted["features"].iloc[0])
        head = training.build_head(spark, classifier, model, spark_model_uri, feature_count, len(labels),
                                   onnx_heads.default_opset(featurizer), featurizer.ir_version)
        head_bytes = head.SerializeToString()
        test_features = np.stack([vector.toArray() for vector in predicted["features"]]).astype(np.float32)
        onnx_labels = training.onnx_session(head_bytes).run([onnx_heads.LABEL], {onnx_heads.FEATURES: test_features})[0]
        parity = training.agreement(predicted["prediction"].astype(int), onnx_labels)
        combined_bytes = onnx_heads.attach(featurizer, head).SerializeToString()
        document = dict(
            quality,
            classifier=classifier,
            featurizer=args.featurizer,
            featurizerLayer=next((p.value for p in featurizer.metadata_props if p.key == "canopy.layer"), None),
            params=params,
            labels=labels,
            emptyClasses=shared["emptyClasses"],
            rows=shared["rows"],
            skippedFiles=shared["skippedFiles"],
            skippedFileExamples=shared["skippedFileExamples"],
            packageAgreement=parity,
            featuresFromCache=shared["featuresFromCache"],
            sampleFraction=args.sample_fraction,
            seed=args.seed,
        )
        with storage.scratch_directory() as scratch:
            write_package(scratch, args, classifier, document, shared["preprocessing"], labels, feature_count,
                          combined_bytes, head_bytes)
            training.upload_package(spark, output, scratch)
    document["durationsSeconds"] = dict(shared["durationsSeconds"], train=timings.seconds["fit"],
                                        evaluate=timings.seconds["evaluate"], package=timings.seconds["write"])
    document["timings"] = timings.seconds
    training.write_metrics(spark, output, document)
    print(f"{JOB}: {classifier} accuracy {quality['accuracy']:.4f} on {shared['rows']['test']} test images; "
          f"package agreement {parity:.4f}; wrote {output}")


def train(args) -> None:
    candidates = grid.candidates_of(args)
    if args.grid is None:
        classifiers.resolve_params(args.classifier, args.params)
    spark = training.spark_session(f"canopy-{JOB}-{'grid' if args.grid else args.classifier}")
    grid.start_outputs(spark, args, candidates)
    shared = prepare(spark, args)
    featurize_share = shared["durationsSeconds"]["featurize"] / len(candidates)
    grid.run(spark, args, candidates,
             lambda candidate, output: train_candidate(spark, args, shared, candidate, output, featurize_share),
             cost=lambda candidate: classifiers.fit_cost(candidate["classifier"], candidate["params"],
                                                         len(shared["labels"])))


def write_package(directory, args, classifier, document, preprocessing, labels, feature_count, combined_bytes, head_bytes):
    size = [preprocessing["height"], preprocessing["width"]]
    outputs = [
        package.tensor_spec(onnx_heads.LABEL, "int64", ["N"], "index into labels"),
        package.tensor_spec(onnx_heads.PROBABILITIES, "float32", ["N", len(labels)],
                            "softmax of one-vs-rest margins (uncalibrated)" if classifier == "linear_svm"
                            else "class probabilities, in label order"),
    ]
    manifest = {
        "task": "image-classification",
        "labels": labels,
        "model": {
            "file": "model.onnx",
            "inputs": [package.tensor_spec(onnx_featurizer.INPUT_NAME, "float32", ["N", 3, *size],
                                           "preprocessed images, see preprocessing")],
            "outputs": outputs,
        },
        "head": {
            "file": "head.onnx",
            "inputs": [package.tensor_spec(onnx_heads.FEATURES, "float32", ["N", feature_count],
                                           "pooled featurizer output")],
            "outputs": outputs,
        },
        "preprocessing": images.describe(preprocessing),
        "metrics": {key: document[key] for key in ("accuracy", "classAverageAccuracy", "perClassAccuracy", "rocAuc", "rows")},
        "lineage": {
            "classifier": classifier,
            "params": document["params"],
            "seed": args.seed,
            "sampleFraction": args.sample_fraction,
            "inputUri": args.input,
            "featurizerUri": args.featurizer,
            "featurizerLayer": document["featurizerLayer"],
            "featurizerSourceSha256": preprocessing.get("sourceSha256"),
            "jobCodeSha256": package.job_code_sha256(os.path.abspath(__file__)),
        },
    }
    package.write(directory, {"model.onnx": combined_bytes, "head.onnx": head_bytes}, manifest)


def main(argv=None) -> int:
    return cli.run(JOB, build_parser(), train, argv)


if __name__ == "__main__":
    sys.exit(main())
