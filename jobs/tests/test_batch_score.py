"""batch_score with an image package and with a workload package."""
import json
import os
import shutil

import batch_score


def read_json(path):
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def test_scores_an_image_folder_and_skips_undecodable_files(spark, trained, shapes_dataset, tmp_path):
    output = tmp_path / "scored"
    assert batch_score.main(["--model", str(trained["logistic_regression"] / "model"), "--input",
                             os.path.join(shapes_dataset, "test"), "--output", str(output)]) == 0
    summary = read_json(output / "summary.json")
    assert summary["scored"] == 18 and summary["skipped"] == 0
    assert sum(summary["perClass"].values()) == 18
    predictions = spark.read.option("header", "true").csv(str(output / "predictions"))
    assert {"path", "predictedLabel", "probability_circle", "error"} <= set(predictions.columns)
    assert (output / "_SUCCESS").exists()

    broken = tmp_path / "broken"
    shutil.copytree(os.path.join(shapes_dataset, "test", "square"), broken)
    (broken / "junk.jpg").write_bytes(b"\xff\xd8 not really a jpeg")
    assert batch_score.main(["--model", str(trained["logistic_regression"] / "model"), "--input", str(broken),
                             "--output", str(tmp_path / "broken-scored"), "--format", "parquet"]) == 0
    summary = read_json(tmp_path / "broken-scored" / "summary.json")
    assert summary["skipped"] == 1 and summary["scored"] == 6


def test_scores_workload_csv_per_server_period(spark, workload_csv, workload_etl_output, tmp_path):
    import workload_train

    model = tmp_path / "model-run"
    assert workload_train.main(["--input", workload_etl_output, "--output", str(model), "--classifier",
                                "logistic_regression"]) == 0
    output = tmp_path / "scored"
    assert batch_score.main(["--model", str(model / "model"), "--input", workload_csv, "--output", str(output),
                             "--format", "parquet"]) == 0
    summary = read_json(output / "summary.json")
    etl = read_json(os.path.join(workload_etl_output, "etl-metrics.json"))
    assert summary["scored"] == etl["serverPeriods"]
    assert set(summary["perClass"]) == {"low", "medium", "high"}


def test_missing_package_fails_cleanly(spark, tmp_path, capsys):
    output = tmp_path / "scored"
    assert batch_score.main(["--model", str(tmp_path / "nope"), "--input", str(tmp_path), "--output", str(output)]) == 1
    assert "cannot read a model package" in capsys.readouterr().err
    assert not (output / "_SUCCESS").exists()
