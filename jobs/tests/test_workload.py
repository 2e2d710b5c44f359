"""Workload generator, ETL and training, in the suite's Spark session."""
import filecmp
import json
import os

import numpy as np
import onnxruntime as ort
import pytest

import workload_generate
import workload_train
from canopy_jobs import workload_features
from canopy_jobs.workload_schema import NAMES


def read_json(path):
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def generate(path, seed, rows=3000, dirty="0.1"):
    assert workload_generate.main(["--output", str(path), "--rows", str(rows), "--seed", str(seed),
                                   "--days", "2", "--servers", "4", "--dirty-fraction", dirty]) == 0


def test_generator_is_deterministic_by_seed(tmp_path):
    generate(tmp_path / "a.csv", 1)
    generate(tmp_path / "b.csv", 1)
    generate(tmp_path / "c.csv", 2)
    assert filecmp.cmp(tmp_path / "a.csv", tmp_path / "b.csv", shallow=False)
    assert not filecmp.cmp(tmp_path / "a.csv", tmp_path / "c.csv", shallow=False)


def test_generator_writes_sixteen_columns_and_the_dirty_share(tmp_path):
    generate(tmp_path / "a.csv", 5, rows=120_000)  # more than one chunk
    lines = (tmp_path / "a.csv").read_text().splitlines()
    assert len(lines) == 120_000
    dirty = [line for line in lines if len(line.split(",")) != 16 or "" in line.split(",") or "n/a" in line]
    assert 0.08 < len(dirty) / len(lines) < 0.12
    clean = next(line for line in lines if line not in dirty).split(",")
    assert clean[6] in ("web", "database", "cache", "file", "mail") and clean[15].startswith("10.0.")


def test_generator_rejects_bad_arguments(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        workload_generate.main(["--output", str(tmp_path / "x.csv")])
    assert exit_info.value.code == 2
    assert workload_generate.main(["--output", str(tmp_path / "x.csv"), "--rows", "5", "--dirty-fraction", "2"]) == 1
    assert "--dirty-fraction" in capsys.readouterr().err


def test_etl_counts_and_quarantines_dirty_rows(spark, workload_etl_output):
    metrics = read_json(os.path.join(workload_etl_output, "etl-metrics.json"))
    assert metrics["rows"]["read"] == 40_000
    assert metrics["rows"]["clean"] + metrics["rows"]["dirty"] == 40_000
    assert 0.04 < metrics["rows"]["dirty"] / 40_000 < 0.06
    assert {"field_count", "missing_field", "wrong_type"} <= set(metrics["dirtyByReason"])
    quarantine = spark.read.parquet(os.path.join(workload_etl_output, "quarantine"))
    assert quarantine.count() == metrics["rows"]["dirty"]
    garbage = quarantine.where("dirtyReason = 'field_count'").first()["value"]
    assert garbage.startswith("#corrupt")
    features = spark.read.parquet(os.path.join(workload_etl_output, "features"))
    assert features.count() == metrics["serverPeriods"] > 0
    assert set(workload_features.NUMERIC_FEATURES) <= set(features.columns)
    assert os.path.exists(os.path.join(workload_etl_output, "_SUCCESS"))


def test_etl_parses_each_kind_of_dirty_row(spark, tmp_path):
    clean = "2017-01-02 10:00:00,2017-01-02 10:05:00,3,1.5,1,0,web,0.1,0.1,0.1,0.1,0.1,0.2,0.7,1.2.3.4,10.0.0.1"
    fields = clean.split(",")
    rows = {
        None: clean,
        "missing_field": ",".join(fields[:3] + [""] + fields[4:]),
        "wrong_type": ",".join(fields[:2] + ["many"] + fields[3:]),
        "field_count": "#corrupt,beef",
        "out_of_range": ",".join([fields[1], fields[0]] + fields[2:]),
    }
    path = tmp_path / "rows.csv"
    path.write_text("\n".join(rows.values()) + "\n")
    workload_features.configure(spark)
    parsed = {row["value"]: row["dirtyReason"] for row in workload_features.parse(spark, str(path)).collect()}
    assert {reason: parsed[line] for reason, line in rows.items()} == {reason: reason for reason in rows}
    assert len(NAMES) == 16


@pytest.fixture(scope="module")
def workload_models(spark, workload_etl_output, tmp_path_factory):
    outputs = {}
    for classifier, params in (("logistic_regression", {"regParam": 0.01}), ("random_forest", {"numTrees": 15, "maxDepth": 6}),
                               ("multilayer_perceptron", {"hiddenUnits": 16, "maxIter": 50}),
                               ("gradient_boosted_trees", {"maxIter": 5, "maxDepth": 3})):
        output = tmp_path_factory.mktemp(f"workload-{classifier}") / "out"
        assert workload_train.main(["--input", workload_etl_output, "--output", str(output), "--classifier", classifier,
                                    "--params", json.dumps(params), "--seed", "5"]) == 0
        outputs[classifier] = output
    return outputs


@pytest.mark.parametrize("classifier", ["logistic_regression", "random_forest", "multilayer_perceptron",
                                        "gradient_boosted_trees"])
def test_workload_package_predicts_the_same_labels_as_spark(spark, workload_models, workload_etl_output, classifier):
    from pyspark.ml import PipelineModel

    output = workload_models[classifier]
    metrics = read_json(output / "metrics.json")
    assert metrics["labels"] == ["low", "medium", "high"]
    assert metrics["accuracy"] > 0.5  # three balanced classes: chance is 1/3
    assert metrics["packageAgreement"] == 1.0
    cutoff = metrics["timeSplit"]["testFromPeriodStartSeconds"]
    test_rows = spark.read.parquet(os.path.join(workload_etl_output, "features")) \
        .where(f"nextMeanTotalLoad IS NOT NULL AND periodStartSeconds >= {cutoff}")
    frame = PipelineModel.load(str(output / "spark-model")).transform(test_rows) \
        .select("prediction", "serverType", *workload_features.NUMERIC_FEATURES, *workload_features.ONE_HOT_NUMERIC) \
        .toPandas()
    assert len(frame) == metrics["rows"]["test"]
    manifest = read_json(output / "model" / "manifest.json")
    feeds = {spec["name"]: frame[spec["name"]].to_numpy(object if spec["dtype"] == "string" else np.float32).reshape(-1, 1)
             for spec in manifest["model"]["inputs"]}
    session = ort.InferenceSession(str(output / "model" / "model.onnx"), providers=["CPUExecutionProvider"])
    labels, probabilities = session.run(["label", "probabilities"], feeds)
    np.testing.assert_array_equal(labels, frame["prediction"].to_numpy().astype(np.int64))
    assert probabilities.shape == (len(frame), 3)


def test_unseen_server_type_still_scores(workload_models):
    manifest = read_json(workload_models["logistic_regression"] / "model" / "manifest.json")
    feeds = {spec["name"]: (np.array([["quantum"]], dtype=object) if spec["dtype"] == "string"
                            else np.ones((1, 1), np.float32)) for spec in manifest["model"]["inputs"]}
    session = ort.InferenceSession(str(workload_models["logistic_regression"] / "model" / "model.onnx"),
                                   providers=["CPUExecutionProvider"])
    assert session.run(["label"], feeds)[0].shape == (1,)


def test_time_split_keeps_test_after_train(workload_models):
    metrics = read_json(workload_models["random_forest"] / "metrics.json")
    assert metrics["rows"]["train"] > metrics["rows"]["test"] > 0
    assert set(metrics["durationsSeconds"]) == {"load", "train", "evaluate", "package"}


def test_workload_train_rejects_bad_params_and_unfinished_input(spark, workload_etl_output, tmp_path, capsys):
    output = tmp_path / "out"
    assert workload_train.main(["--input", workload_etl_output, "--output", str(output), "--classifier",
                                "random_forest", "--params", '{"numTrees": 0}']) == 1
    assert "numTrees=0 must be in [1, 1000]" in capsys.readouterr().err
    assert workload_train.main(["--input", str(tmp_path), "--output", str(output), "--classifier",
                                "logistic_regression"]) == 1
    assert "not a finished workload_etl output" in capsys.readouterr().err
    assert not (output / "_SUCCESS").exists()


def test_etl_flag_runs_etl_and_grid_in_one_application_and_reuses_finished_etl(spark, workload_csv, tmp_path, capsys):
    output = tmp_path / "run"
    grid = json.dumps([{"id": "lr-tabular-1", "classifier": "logistic_regression", "params": {"regParam": 0.01}}])
    arguments = ["--input", workload_csv, "--output", str(output), "--etl", "--grid", grid, "--parallelism", "1",
                 "--sample-fraction", "0.3"]
    assert workload_train.main(arguments) == 0
    assert os.path.exists(output / "etl" / "_SUCCESS")
    assert read_json(output / "etl" / "etl-metrics.json")["rows"]["dirty"] > 0
    metrics = read_json(output / "lr-tabular-1" / "metrics.json")
    assert metrics["durationsSeconds"]["etl"] > 0
    assert os.path.exists(output / "lr-tabular-1" / "_SUCCESS")
    capsys.readouterr()

    assert workload_train.main(arguments) == 0
    assert "reusing the finished ETL output" in capsys.readouterr().out


def test_etl_flag_fails_the_application_on_a_missing_csv(spark, tmp_path, capsys):
    assert workload_train.main(["--input", str(tmp_path / "absent.csv"), "--output", str(tmp_path / "run"), "--etl",
                                "--classifier", "logistic_regression"]) == 1
    assert "input not found" in capsys.readouterr().err
