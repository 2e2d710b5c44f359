"""The packed environment (jobs/pack_environment.py) runs the jobs on Spark 3.3 under another Python with nothing
installed but the archive, submitted the way a Livy batch on HDInsight 5.1 is (shared/adapters/azure/
hdinsightComputeTarget.ts): `--archives <archive>#canopyenv` and PYTHONPATH pointing the driver and the executors
at `./canopyenv`.

The archive is built for CPython 3.8 by pip running on the jobs' venv Python (3.11); the jobs run under a venv of
CPython 3.8 made without pip, so any import not in the standard library or the archive fails. In YARN cluster mode
the driver runs in the application master's container, where YARN has unpacked the archive as `./canopyenv`; in
local mode here the driver reads its own unpacked copy (`driver-container/canopyenv`), while the executors' Python
workers must get theirs from `--archives`, which the probe checks.
"""
import json
import os
import subprocess
import tarfile

import pytest

from conftest import JOBS_DIR, IMAGE_PARAMS
from canopy_jobs import bundle

ALIAS = "canopyenv"
# What the HDInsight target sends in the batch's `conf` (cluster mode: the application master hosts the driver).
BATCH_CONF = {
    "spark.yarn.appMasterEnv.PYTHONPATH": f"./{ALIAS}",
    "spark.executorEnv.PYTHONPATH": f"./{ALIAS}",
}
DEPENDENCIES = ["numpy", "pandas", "pyarrow", "onnx", "onnxruntime", "PIL", "sklearn", "scipy"]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """The archive, Spark 3.3 and the bare Python 3.8 (jobs/setup_cluster_check.sh, idempotent), and a driver container."""
    lines = subprocess.run(["bash", os.path.join(JOBS_DIR, "setup_cluster_check.sh")], check=True,
                           capture_output=True, text=True).stdout.splitlines()
    paths = dict(line.split("=", 1) for line in lines if "=" in line)
    container = tmp_path_factory.mktemp("driver-container")
    with tarfile.open(paths["ARCHIVE"]) as archive:
        archive.extractall(container / ALIAS)
    # The driver's PYTHONPATH as spark.yarn.appMasterEnv.PYTHONPATH gives it in its container: set for the driver
    # process alone, so the executors' workers (which inherit the JVM's environment) see only what the batch ships.
    driver_python = container / "driver-python"
    driver_python.write_text(f'#!/bin/sh\nPYTHONPATH="{container / ALIAS}${{PYTHONPATH:+:$PYTHONPATH}}" '
                             f'exec "{paths["BARE_PYTHON"]}" "$@"\n')
    driver_python.chmod(0o755)
    paths["DRIVER_PYTHON"] = str(driver_python)
    paths["DRIVER_CONTAINER"] = str(container)
    paths["WORK_DIR"] = str(tmp_path_factory.mktemp("spark-submit-cwd"))
    paths["WORKER_DIR"] = str(tmp_path_factory.mktemp("spark-worker"))
    paths["PYFILES"] = bundle.write_bundle(JOBS_DIR, str(tmp_path_factory.mktemp("bundle") / "canopy_jobs.zip"))
    return paths


def submit(cluster, script, *args):
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": os.environ.get("HOME", "/tmp"),
        "SPARK_HOME": cluster["SPARK_HOME"],
        "PYSPARK_PYTHON": cluster["BARE_PYTHON"],
        "PYSPARK_DRIVER_PYTHON": cluster["DRIVER_PYTHON"],
        "SPARK_LOCAL_IP": "127.0.0.1",
        "SPARK_WORKER_DIR": cluster["WORKER_DIR"],
    }
    if os.environ.get("JAVA_HOME"):
        env["JAVA_HOME"] = os.environ["JAVA_HOME"]
    command = [os.path.join(cluster["SPARK_HOME"], "bin", "spark-submit"), "--master", "local-cluster[1,2,1024]",
               "--driver-memory", "1g", "--conf", "spark.ui.enabled=false", "--conf", "spark.ui.showConsoleProgress=false",
               "--conf", "spark.sql.shuffle.partitions=4", "--archives", f"{cluster['ARCHIVE']}#{ALIAS}"]
    for key, value in BATCH_CONF.items():
        command += ["--conf", f"{key}={value}"]
    command += ["--py-files", cluster["PYFILES"], script, *args]
    result = subprocess.run(command, env=env, cwd=cluster["WORK_DIR"], capture_output=True, text=True, timeout=900)
    # spark-submit merges the driver's stderr into stdout, between Spark's INFO lines and Java stack frames.
    said = [line for line in (result.stdout + result.stderr).splitlines()
            if " INFO " not in line and not line.lstrip().startswith(("at ", "..."))]
    assert result.returncode == 0, f"{os.path.basename(script)} failed:\n" + "\n".join(said[-60:])
    return result


def test_the_bare_python_has_nothing_but_the_standard_library(cluster):
    for module in DEPENDENCIES + ["pyspark"]:
        probe = subprocess.run([cluster["BARE_PYTHON"], "-c", f"import {module}"], capture_output=True, text=True,
                               env={"PATH": "/usr/bin:/bin"})
        assert probe.returncode != 0, f"{module} is importable without the archive"


def test_driver_and_executors_import_the_dependencies_from_the_archive(cluster, tmp_path):
    report = tmp_path / "origins.json"
    submit(cluster, os.path.join(JOBS_DIR, "tests", "cluster_probe.py"), str(report))
    origins = json.loads(report.read_text())
    driver_copy = os.path.realpath(os.path.join(cluster["DRIVER_CONTAINER"], ALIAS))
    for side in ("driver", "executor"):
        assert origins[side]["python"] == "3.8"
        assert origins[side]["executable"] == cluster["BARE_PYTHON"]
        for module in DEPENDENCIES:
            path = origins[side][module]
            assert f"/{ALIAS}/" in path and "site-packages" not in path, f"{side} imported {module} from {path}"
            # The executors' copy is the one --archives unpacked, not the driver's.
            assert path.startswith(driver_copy) == (side == "driver"), f"{side} imported {module} from {path}"


def test_image_train_runs_one_candidate(cluster, shapes_dataset, featurizer, tmp_path):
    output = tmp_path / "out"
    submit(cluster, os.path.join(JOBS_DIR, "image_train.py"), "--input", shapes_dataset, "--output", str(output),
           "--featurizer", featurizer, "--classifier", "logistic_regression",
           "--params", json.dumps(IMAGE_PARAMS["logistic_regression"]), "--seed", "3")
    assert (output / "_SUCCESS").exists()
    metrics = json.loads((output / "metrics.json").read_text())
    assert metrics["rows"]["test"] > 0 and 0 <= metrics["accuracy"] <= 1
    assert (output / "model" / "model.onnx").exists()


def test_workload_train_runs_etl_and_one_candidate(cluster, workload_csv, tmp_path):
    output = tmp_path / "run"
    grid = json.dumps([{"id": "lr-tabular-1", "classifier": "logistic_regression", "params": {"regParam": 0.01}}])
    submit(cluster, os.path.join(JOBS_DIR, "workload_train.py"), "--input", workload_csv, "--output", str(output),
           "--etl", "--grid", grid, "--parallelism", "1", "--sample-fraction", "0.3")
    assert (output / "etl" / "_SUCCESS").exists()
    assert (output / "lr-tabular-1" / "_SUCCESS").exists()
    metrics = json.loads((output / "lr-tabular-1" / "metrics.json").read_text())
    assert 0 <= metrics["accuracy"] <= 1
