"""The shell entry points: spark-submit.sh and setup.sh fail clearly; a wrong job argument
exits non-zero through the real local runner and leaves no _SUCCESS."""
import os
import shutil
import subprocess

from conftest import JOBS_DIR


def run(command, env=None, cwd=None):
    merged = dict(os.environ, **(env or {}))
    return subprocess.run(command, capture_output=True, text=True, env=merged, cwd=cwd, timeout=300)


def test_wrong_argument_through_spark_submit(tmp_path, shapes_dataset, featurizer):
    output = tmp_path / "out"
    result = run([os.path.join(JOBS_DIR, "spark-submit.sh"), "image_train.py", "--input", shapes_dataset,
                  "--output", str(output), "--featurizer", featurizer, "--classifier", "naive_bayes"])
    assert result.returncode != 0
    assert "invalid choice: 'naive_bayes'" in result.stderr
    assert not (output / "_SUCCESS").exists()


def test_bad_hyper_parameter_through_spark_submit(tmp_path, workload_etl_output):
    output = tmp_path / "out"
    result = run([os.path.join(JOBS_DIR, "spark-submit.sh"), "workload_train.py", "--input", workload_etl_output,
                  "--output", str(output), "--classifier", "logistic_regression", "--params", '{"regParam": -1}'])
    assert result.returncode == 1
    assert "workload_train: error: regParam=-1 must be >= 0" in result.stderr
    assert not (output / "_SUCCESS").exists()


def test_runner_needs_a_job_and_java():
    assert run([os.path.join(JOBS_DIR, "spark-submit.sh")]).returncode == 2
    result = run([os.path.join(JOBS_DIR, "spark-submit.sh"), "image_train.py", "--help"],
                 env={"JAVA_HOME": "/nonexistent", "PATH": "/usr/bin:/bin"})
    assert result.returncode == 3 and "Java not found" in result.stderr


def test_runner_needs_the_venv(tmp_path):
    copy = tmp_path / "jobs"
    copy.mkdir()
    shutil.copy(os.path.join(JOBS_DIR, "spark-submit.sh"), copy)
    result = run([str(copy / "spark-submit.sh"), "image_train.py"])
    assert result.returncode == 3 and "run jobs/setup.sh first" in result.stderr


def test_setup_explains_where_to_get_a_missing_model(tmp_path):
    result = run([os.path.join(JOBS_DIR, "setup.sh")], env={"CANOPY_SHARED_DATA": str(tmp_path)})
    assert result.returncode != 0
    assert "microsoft/Windows-Machine-Learning" in result.stderr
    assert "SharedContent/models/SqueezeNet_fp16.onnx" in result.stderr
