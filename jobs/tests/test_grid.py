"""Grid mode: one application trains a featurizer's candidates; each writes its own outputs or fails alone."""
import argparse
import json

import pytest

import image_train
import workload_train
from canopy_jobs import grid
from conftest import IMAGE_PARAMS


def read_json(path):
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


IMAGE_GRID = [
    {"id": "lr-good", "classifier": "logistic_regression", "params": IMAGE_PARAMS["logistic_regression"]},
    {"id": "rf-good", "classifier": "random_forest", "params": IMAGE_PARAMS["random_forest"]},
    {"id": "lr-bad", "classifier": "logistic_regression", "params": {"regParam": -1}},
]


@pytest.fixture(scope="module")
def image_grid(spark, shapes_dataset, featurizer, tmp_path_factory):
    output = tmp_path_factory.mktemp("grid") / "out"
    status = image_train.main(["--input", shapes_dataset, "--output", str(output), "--featurizer", featurizer,
                               "--grid", json.dumps(IMAGE_GRID), "--parallelism", "2", "--seed", "3"])
    return status, output


def test_every_good_candidate_writes_its_own_outputs(image_grid):
    status, output = image_grid
    assert status == 0
    for candidate, classifier in (("lr-good", "logistic_regression"), ("rf-good", "random_forest")):
        folder = output / candidate
        assert {"_SUCCESS", "metrics.json", "model", "spark-model"} <= {path.name for path in folder.iterdir()}
        metrics = read_json(folder / "metrics.json")
        assert metrics["classifier"] == classifier
        assert metrics["rows"] == {"train": 42, "test": 18}
        assert metrics["accuracy"] >= 0.8
        assert metrics["packageAgreement"] == 1.0


def test_a_bad_hyper_parameter_fails_its_candidate_alone(image_grid):
    _, output = image_grid
    failure = read_json(output / "lr-bad" / grid.FAILED_MARKER)
    assert "regParam=-1 must be >= 0" in failure["message"]
    assert "Traceback" in failure["log"]
    assert not (output / "lr-bad" / "_SUCCESS").exists()


def test_candidates_share_one_featurize_and_time_their_phases(image_grid):
    _, output = image_grid
    timings = [read_json(output / candidate / "metrics.json")["timings"] for candidate in ("lr-good", "rf-good")]
    for timing in timings:
        assert set(timing) == {"featurize", "fit", "evaluate", "write"}
        assert timing["fit"] > 0 and timing["evaluate"] > 0 and timing["write"] > 0
    assert timings[0]["featurize"] == timings[1]["featurize"] > 0


def test_a_grid_whose_every_candidate_fails_fails_the_job(shapes_dataset, featurizer, tmp_path, capsys):
    bad = [{"id": "a", "classifier": "random_forest", "params": {"numTrees": 0}},
           {"id": "b", "classifier": "naive_bayes", "params": {}}]
    assert image_train.main(["--input", shapes_dataset, "--output", str(tmp_path), "--featurizer", featurizer,
                             "--grid", json.dumps(bad)]) == 1
    assert "every candidate of the grid failed" in capsys.readouterr().err
    assert "unknown classifier 'naive_bayes'" in read_json(tmp_path / "b" / grid.FAILED_MARKER)["message"]
    assert (tmp_path / "a" / grid.FAILED_MARKER).exists()


def test_grid_and_classifier_exclude_each_other(shapes_dataset, featurizer, tmp_path, capsys):
    assert image_train.main(["--input", shapes_dataset, "--output", str(tmp_path), "--featurizer", featurizer,
                             "--grid", json.dumps(IMAGE_GRID[:1]), "--classifier", "random_forest"]) == 1
    assert "either --grid or --classifier" in capsys.readouterr().err
    assert image_train.main(["--input", shapes_dataset, "--output", str(tmp_path), "--featurizer", featurizer]) == 1
    assert "one of --classifier or --grid is required" in capsys.readouterr().err


@pytest.mark.parametrize("text,message", [
    ("[]", "non-empty JSON array"),
    ("{", "not valid JSON"),
    ('[{"id": "a", "classifier": "linear_svm"}, {"id": "a", "classifier": "linear_svm"}]', "unique folder-safe"),
    ('[{"id": "../up", "classifier": "linear_svm"}]', "unique folder-safe"),
    ('[{"id": "a", "params": {}}]', "needs an id, a classifier"),
])
def test_grid_argument_is_checked(text, message):
    with pytest.raises(argparse.ArgumentTypeError, match=message):
        grid.parse(text)


def test_workload_grid_trains_in_one_application(spark, workload_etl_output, tmp_path):
    candidates = [{"id": "lr", "classifier": "logistic_regression", "params": {"regParam": 0.01}},
                  {"id": "svm-bad", "classifier": "linear_svm", "params": {"regParam": -1}}]
    assert workload_train.main(["--input", workload_etl_output, "--output", str(tmp_path), "--grid",
                                json.dumps(candidates), "--seed", "5"]) == 0
    metrics = read_json(tmp_path / "lr" / "metrics.json")
    assert (tmp_path / "lr" / "_SUCCESS").exists() and metrics["packageAgreement"] == 1.0
    assert set(metrics["timings"]) == {"featurize", "fit", "evaluate", "write"}
    assert "regParam=-1" in read_json(tmp_path / "svm-bad" / grid.FAILED_MARKER)["message"]
    assert not (tmp_path / "svm-bad" / "_SUCCESS").exists()


def test_the_costliest_fits_start_first_and_a_candidate_that_cannot_be_costed_last():
    from canopy_jobs import classifiers

    demo = [
        {"id": "lr", "classifier": "logistic_regression", "params": {"maxIter": 200}},
        {"id": "rf", "classifier": "random_forest", "params": {"numTrees": 60, "maxDepth": 10}},
        {"id": "bad", "classifier": "linear_svm", "params": {"maxIter": -3}},
        {"id": "svm", "classifier": "linear_svm", "params": {"maxIter": 100}},
    ]
    order = grid.costliest_first(demo, lambda c: classifiers.fit_cost(c["classifier"], c["params"], 10))
    assert [c["id"] for c in order] == ["rf", "lr", "svm", "bad"]


def test_a_grid_starts_its_candidates_in_cost_order(tmp_path):
    started = []
    args = argparse.Namespace(output=str(tmp_path), parallelism=1)
    candidates = [{"id": name, "classifier": "x", "params": {"cost": cost}} for name, cost in (("a", 1), ("b", 3), ("c", 2))]
    grid.run(None, args, candidates, lambda candidate, _: started.append(candidate["id"]),
             cost=lambda candidate: candidate["params"]["cost"])
    assert started == ["b", "c", "a"]
