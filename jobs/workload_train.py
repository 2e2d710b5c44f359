"""Train workload-forecasting candidates on workload_etl's output (one, or a --grid in one application).

With --etl, --input is the raw session CSV: the same application first runs the ETL into
<output>/etl/ (see canopy_jobs/workload_etl.py), or reuses it when it already holds a finished
ETL (_SUCCESS), so a tabular run is one application.

Labels each server period by the server's next-period mean TotalLoad: low / medium / high, cut
at the training periods' tertiles. The split is by time: the last --test-fraction of periods
is held out. The Spark pipeline (string indexing, one-hot encoding, assembling, standard
scaling for linear models, classifier) is exported to one ONNX graph. Writes under <output>:
metrics.json, model/ (ONNX package + manifest.json), spark-model/ and, last, _SUCCESS; with --grid,
each candidate writes that under <output>/<id>/ (see canopy_jobs/grid.py).
"""
import argparse
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from canopy_jobs import classifiers, cli, grid, onnx_heads, onnx_tabular, package, storage, training  # noqa: E402
from canopy_jobs import workload_etl  # noqa: E402
from canopy_jobs import workload_features as wf  # noqa: E402

JOB = "workload_train"
LABELS = ["low", "medium", "high"]
ETL_FOLDER = "etl"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="workload_train.py", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--input", required=True,
                        help="workload_etl output folder URI (features/, etl-metrics.json); with --etl, the session CSV")
    parser.add_argument("--etl", action="store_true",
                        help=f"run the ETL of --input into <output>/{ETL_FOLDER}/ first (reused if finished), "
                             "then train on it")
    parser.add_argument("--period-minutes", type=cli.positive_int, default=workload_etl.DEFAULT_PERIOD_MINUTES,
                        help="with --etl: length of a forecasting period in minutes "
                             f"(default {workload_etl.DEFAULT_PERIOD_MINUTES})")
    parser.add_argument("--output", required=True, help="folder URI for metrics.json, model/, spark-model/, _SUCCESS")
    parser.add_argument("--classifier", choices=classifiers.CLASSIFIERS, help="train one candidate under <output>")
    parser.add_argument("--params", type=cli.json_object, default={}, help="JSON object of hyper-parameters")
    grid.add_arguments(parser)
    parser.add_argument("--test-fraction", type=cli.fraction, default=0.2,
                        help="share of the latest periods held out for testing (default 0.2)")
    parser.add_argument("--sample-fraction", type=cli.fraction, default=1.0,
                        help="keep this fraction of the training rows (default 1)")
    parser.add_argument("--seed", type=int, default=42, help="seed for sampling and the random forest (default 42)")
    return parser


def split_by_time(frame, test_fraction: float, period_seconds: int):
    """Train on periods whose next period is still before the cutoff, so no label peeks into the test time."""
    periods = sorted(row[0] for row in frame.select("periodStartSeconds").distinct().collect())
    if len(periods) < 3:
        raise cli.JobError(f"need at least 3 labelled periods to split by time, found {len(periods)}")
    cutoff = periods[min(len(periods) - 1, max(1, int(len(periods) * (1 - test_fraction))))]
    train = frame.where(frame.periodStartSeconds + period_seconds < cutoff)
    test = frame.where(frame.periodStartSeconds >= cutoff)
    return train, test, cutoff


def build_pipeline(classifier: str, params: dict, seed: int):
    from pyspark.ml import Pipeline
    from pyspark.ml.feature import OneHotEncoder, StandardScaler, StringIndexer, VectorAssembler

    linear = classifier not in classifiers.TREE_CLASSIFIERS
    indexer = StringIndexer(inputCol="serverType", outputCol="serverTypeIndex", handleInvalid="keep",
                            stringOrderType="alphabetAsc")
    one_hot_sources = ["serverTypeIndex"] + wf.ONE_HOT_NUMERIC
    encoder = OneHotEncoder(inputCols=one_hot_sources, outputCols=[f"{name}Vector" for name in one_hot_sources],
                            handleInvalid="keep")
    assembler = VectorAssembler(inputCols=wf.NUMERIC_FEATURES + encoder.getOutputCols(),
                                outputCol="assembled" if linear else "features")
    stages = [indexer, encoder, assembler]
    if linear:  # trees need no scaling, and unscaled float inputs keep their ONNX splits exact
        stages.append(StandardScaler(inputCol="assembled", outputCol="features", withMean=True, withStd=True))
    stages.append(classifiers.build(classifier, params, seed))
    return Pipeline(stages=stages)


def onnx_front(model, sample_row_frame):
    """The ONNX feature pipeline matching the fitted Spark stages."""
    indexer, encoder, assembler = model.stages[:3]
    encoded = encoder.transform(indexer.transform(sample_row_frame)).first()
    lengths = [encoded[name].size for name in encoder.getOutputCols()]
    one_hot = [("serverType", list(indexer.labels), lengths[0])] + \
              [(name, None, length) for name, length in zip(wf.ONE_HOT_NUMERIC, lengths[1:])]
    scaler = None
    if len(model.stages) == 5:
        scaler_model = model.stages[3]
        std = scaler_model.std.toArray()
        scale = np.where(std == 0, 0.0, 1.0 / np.where(std == 0, 1.0, std))
        scaler = (scaler_model.mean.toArray(), scale)
    return onnx_tabular.feature_pipeline(wf.NUMERIC_FEATURES, one_hot, scaler), scaler is not None


def _feature_count(classifier_model) -> int:
    """The perceptron is a PipelineModel(scaler, perceptron); one-vs-rest models keep it per class."""
    if hasattr(classifier_model, "stages"):
        return classifier_model.stages[-1].numFeatures
    if hasattr(classifier_model, "numFeatures"):
        return classifier_model.numFeatures
    return classifier_model.models[0].numFeatures


def onnx_inputs(frame) -> dict:
    inputs = {name: frame[name].to_numpy(np.float32).reshape(-1, 1) for name in wf.NUMERIC_FEATURES + wf.ONE_HOT_NUMERIC}
    inputs["serverType"] = frame["serverType"].to_numpy(object).reshape(-1, 1)
    return inputs


def features_of(spark, args, timer) -> str:
    """The finished ETL output to train on: --input, or with --etl the one this application makes (or reuses)."""
    if not args.etl:
        return args.input
    etl_output = storage.join(args.output, ETL_FOLDER)
    with timer.stage("etl"):
        workload_etl.ensure(spark, args.input, etl_output, args.period_minutes)
    return etl_output


def prepare(spark, args) -> dict:
    """What every candidate shares: the labelled, time-split rows (cached)."""
    from pyspark.sql import functions as F

    timer = training.StageTimer()
    features_input = features_of(spark, args, timer)
    with timer.stage("load"):
        etl_metrics_uri = storage.join(features_input, workload_etl.METRICS)
        if not workload_etl.is_finished(spark, features_input):
            raise cli.JobError(f"{features_input} is not a finished workload_etl output (no _SUCCESS / etl-metrics.json)")
        period_seconds = json.loads(storage.read_bytes(spark, etl_metrics_uri))["periodMinutes"] * 60
        labelled = spark.read.parquet(storage.join(features_input, "features")).where("nextMeanTotalLoad IS NOT NULL")
        train_rows, test_rows, cutoff = split_by_time(labelled, args.test_fraction, period_seconds)
        if args.sample_fraction < 1:
            bucket = F.abs(F.xxhash64("serverIP", "periodStartSeconds", F.lit(args.seed))) % 1_000_000
            train_rows = train_rows.where(bucket < int(args.sample_fraction * 1_000_000))
        thresholds = train_rows.approxQuantile("nextMeanTotalLoad", [1 / 3, 2 / 3], 0.0)
        if len(thresholds) < 2:
            raise cli.JobError("no training rows before the time cutoff")
        label = (F.when(F.col("nextMeanTotalLoad") < thresholds[0], 0.0)
                 .when(F.col("nextMeanTotalLoad") < thresholds[1], 1.0).otherwise(2.0))
        train_rows = train_rows.withColumn("labelIndex", label).persist()
        test_rows = test_rows.withColumn("labelIndex", label).persist()
        counts = {"train": train_rows.count(), "test": test_rows.count()}
        if counts["test"] == 0 or counts["train"] == 0:
            raise cli.JobError(f"time split left {counts} rows")
    return {"trainRows": train_rows, "testRows": test_rows, "rows": counts, "thresholds": thresholds,
            "cutoff": cutoff, "periodSeconds": period_seconds, "durationsSeconds": timer.seconds}


def train_candidate(spark, args, shared: dict, candidate: dict, output: str, featurize_share: float) -> None:
    classifier = candidate["classifier"]
    if classifier not in classifiers.CLASSIFIERS:
        raise cli.JobError(f"unknown classifier {classifier!r}; choose one of {', '.join(classifiers.CLASSIFIERS)}")
    params = classifiers.resolve_params(classifier, candidate["params"])
    train_rows, thresholds = shared["trainRows"], shared["thresholds"]
    timings = grid.Timings(featurize_share)

    with timings.phase("fit"):
        model = build_pipeline(classifier, params, args.seed).fit(train_rows)

    with timings.phase("evaluate"):
        columns = ["serverType"] + wf.NUMERIC_FEATURES + wf.ONE_HOT_NUMERIC
        predicted = training.collect_predictions(classifiers.transform(model, shared["testRows"]),
                                                 classifiers.score_column(classifier),
                                                 extra_columns=columns)
        quality = training.evaluate(predicted, LABELS)

    with timings.phase("write"):
        spark_model_uri = storage.join(output, "spark-model")
        model.write().overwrite().save(spark_model_uri)
        front, double_features = onnx_front(model, train_rows.limit(1))
        classifier_model = model.stages[-1]
        feature_count = _feature_count(classifier_model)
        head = training.build_head(spark, classifier, classifier_model,
                                   training.forest_stage_uri(spark, spark_model_uri)
                                   if classifier in classifiers.TREE_CLASSIFIERS else None,
                                   feature_count, len(LABELS), onnx_tabular.OPSET, onnx_tabular.IR_VERSION, double_features)
        combined = onnx_heads.attach(front, head).SerializeToString()
        onnx_labels = training.onnx_session(combined).run([onnx_heads.LABEL], onnx_inputs(predicted))[0]
        parity = training.agreement(predicted["prediction"].astype(int), onnx_labels)
        document = dict(
            quality,
            classifier=classifier,
            featurizer=None,
            params=params,
            labels=LABELS,
            labelThresholds={"lowBelow": thresholds[0], "highFrom": thresholds[1]},
            timeSplit={"testFromPeriodStartSeconds": int(shared["cutoff"]), "testFraction": args.test_fraction},
            rows=shared["rows"],
            skippedFiles=0,
            packageAgreement=parity,
            sampleFraction=args.sample_fraction,
            seed=args.seed,
        )
        with storage.scratch_directory() as scratch:
            write_package(scratch, args, classifier, document, combined, shared["periodSeconds"])
            training.upload_package(spark, output, scratch)
    document["durationsSeconds"] = dict(shared["durationsSeconds"], train=timings.seconds["fit"],
                                        evaluate=timings.seconds["evaluate"], package=timings.seconds["write"])
    document["timings"] = timings.seconds
    training.write_metrics(spark, output, document)
    print(f"{JOB}: {classifier} accuracy {quality['accuracy']:.4f} on {shared['rows']['test']} test periods; "
          f"package agreement {parity:.4f}; wrote {output}")


def train(args) -> None:
    candidates = grid.candidates_of(args)
    if args.grid is None:
        classifiers.resolve_params(args.classifier, args.params)
    spark = training.spark_session(f"canopy-{JOB}-{'grid' if args.grid else args.classifier}")
    wf.configure(spark)
    grid.start_outputs(spark, args, candidates)
    shared = prepare(spark, args)
    featurize_share = sum(shared["durationsSeconds"].values()) / len(candidates)
    grid.run(spark, args, candidates,
             lambda candidate, output: train_candidate(spark, args, shared, candidate, output, featurize_share),
             cost=lambda candidate: classifiers.fit_cost(candidate["classifier"], candidate["params"],
                                                         len(LABELS)))


def write_package(directory, args, classifier, document, model_bytes, period_seconds):
    inputs = [package.tensor_spec(name, "float32", ["N", 1], wf.FEATURE_DEFINITIONS.get(name, name))
              for name in wf.NUMERIC_FEATURES + wf.ONE_HOT_NUMERIC]
    inputs.append(package.tensor_spec("serverType", "string", ["N", 1], wf.FEATURE_DEFINITIONS["serverType"]))
    manifest = {
        "task": "tabular-classification",
        "labels": LABELS,
        "model": {
            "file": "model.onnx",
            "inputs": inputs,
            "outputs": [
                package.tensor_spec(onnx_heads.LABEL, "int64", ["N"], "index into labels"),
                package.tensor_spec(onnx_heads.PROBABILITIES, "float32", ["N", len(LABELS)],
                                    "softmax of one-vs-rest margins (uncalibrated)" if classifier == "linear_svm"
                                    else "class probabilities, in label order"),
            ],
        },
        "preprocessing": {
            "rows": "one row per server and period, aggregated from the clean sessions starting in the period",
            "periodMinutes": period_seconds // 60,
            "featureDefinitions": wf.FEATURE_DEFINITIONS,
            "inModel": "string indexing (unseen -> all-zero one-hot), one-hot encoding, assembling"
                       + (", standard scaling" if classifier not in classifiers.TREE_CLASSIFIERS else ""),
        },
        "labelDefinition": {
            "target": "the same server's mean TotalLoad in the next period",
            "low": f"< {document['labelThresholds']['lowBelow']}",
            "medium": f">= {document['labelThresholds']['lowBelow']} and < {document['labelThresholds']['highFrom']}",
            "high": f">= {document['labelThresholds']['highFrom']}",
        },
        "metrics": {key: document[key] for key in ("accuracy", "classAverageAccuracy", "perClassAccuracy", "rocAuc", "rows")},
        "lineage": {
            "classifier": classifier,
            "params": document["params"],
            "seed": args.seed,
            "sampleFraction": args.sample_fraction,
            "testFraction": args.test_fraction,
            "inputUri": args.input,
            "jobCodeSha256": package.job_code_sha256(os.path.abspath(__file__)),
        },
    }
    package.write(directory, {"model.onnx": model_bytes}, manifest)


def main(argv=None) -> int:
    return cli.run(JOB, build_parser(), train, argv)


if __name__ == "__main__":
    sys.exit(main())
