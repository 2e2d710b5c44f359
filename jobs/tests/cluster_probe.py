"""Submitted by test_cluster_environment.py: where the driver and an executor's Python worker import the jobs'
dependencies from, written as JSON to the path in argv[1]."""
import importlib
import json
import os
import sys

from pyspark.sql import SparkSession

MODULES = ["numpy", "pandas", "pyarrow", "onnx", "onnxruntime", "PIL", "sklearn", "scipy"]


def origins(_=None):
    found = {name: os.path.realpath(importlib.import_module(name).__file__) for name in MODULES}
    found["python"] = "%d.%d" % sys.version_info[:2]
    found["executable"] = sys.executable
    return found


if __name__ == "__main__":
    spark = SparkSession.builder.getOrCreate()
    executor = spark.sparkContext.parallelize([0], 1).map(origins).collect()[0]
    with open(sys.argv[1], "w") as out:
        json.dump({"driver": origins(), "executor": executor}, out)
    spark.stop()
