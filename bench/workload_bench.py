"""ETL + training throughput on generated workload files of growing size.

For each size: generate the CSV (not timed as part of the pipeline), run workload_etl and both
workload_train candidates through jobs/spark-submit.sh, record wall seconds, then delete the
generated data. The fleet grows with the file (80 servers per GB over 14 days), so both the raw
rows the ETL reads and the server periods the classifiers train on grow with size.
"""
import argparse
import datetime
import json
import os
import shutil
import subprocess
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RUNNER = os.path.join(ROOT, "jobs", "spark-submit.sh")
PYTHON = os.path.join(ROOT, "jobs", ".venv", "bin", "python")
CANDIDATES = {
    "random_forest": {"numTrees": 50, "maxDepth": 10},
    "logistic_regression": {"regParam": 0.001},
    "multilayer_perceptron": {"hiddenUnits": 32, "maxIter": 100},
    "gradient_boosted_trees": {"maxIter": 20, "maxDepth": 5},
}


def timed(command: list) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True)
    return time.perf_counter() - started


def read_json(path: str) -> dict:
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def generated_file(size_gb: float, servers: int, work: str, seed: int) -> tuple:
    """The CSV for a size, generated unless an earlier, interrupted bench left it complete."""
    csv = os.path.join(work, "data", f"sessions-{size_gb}gb-{servers}servers-seed{seed}.csv")
    if os.path.exists(csv + ".done"):
        return csv, None
    os.makedirs(os.path.dirname(csv), exist_ok=True)
    seconds = timed([PYTHON, os.path.join(ROOT, "jobs", "workload_generate.py"), "--output", csv,
                     "--size-mb", str(size_gb * 1000), "--servers", str(servers), "--days", "14", "--seed", str(seed)])
    open(csv + ".done", "w").close()
    return csv, seconds


def generated(size_gb: float, args) -> bool:
    return os.path.exists(os.path.join(args.work, "data", f"sessions-{size_gb}gb-{servers_for(size_gb)}servers-seed{args.seed}.csv.done"))


def servers_for(size_gb: float) -> int:
    return max(8, int(80 * size_gb))


def bench_size(size_gb: float, work: str, seed: int) -> dict:
    folder = os.path.join(work, f"{size_gb}gb")
    shutil.rmtree(folder, ignore_errors=True)
    servers = servers_for(size_gb)
    csv, generate_seconds = generated_file(size_gb, servers, work, seed)
    megabytes = os.path.getsize(csv) / 1e6
    etl_output = os.path.join(folder, "etl")
    etl_seconds = timed([RUNNER, "workload_etl.py", "--input", csv, "--output", etl_output])
    etl = read_json(os.path.join(etl_output, "etl-metrics.json"))
    rows = etl["rows"]["read"]
    training = {}
    for classifier, params in CANDIDATES.items():
        output = os.path.join(folder, classifier)
        seconds = timed([RUNNER, "workload_train.py", "--input", etl_output, "--output", output,
                         "--classifier", classifier, "--params", json.dumps(params), "--seed", str(seed)])
        metrics = read_json(os.path.join(output, "metrics.json"))
        training[classifier] = {"wallSeconds": round(seconds, 1), "accuracy": metrics["accuracy"],
                                "rows": metrics["rows"], "durationsSeconds": metrics["durationsSeconds"]}
    shutil.rmtree(folder)
    os.remove(csv)
    os.remove(csv + ".done")
    total = etl_seconds + sum(candidate["wallSeconds"] for candidate in training.values())
    return {
        "sizeGB": size_gb,
        "megabytes": round(megabytes, 1),
        "rows": rows,
        "dirtyRows": etl["rows"]["dirty"],
        "servers": servers,
        "serverPeriods": etl["serverPeriods"],
        "generateSeconds": None if generate_seconds is None else round(generate_seconds, 1),
        "etlSeconds": round(etl_seconds, 1),
        "etlStageSeconds": etl["durationsSeconds"],
        "etlRowsPerSec": round(rows / etl_seconds),
        "etlMBPerSec": round(megabytes / etl_seconds, 2),
        "training": training,
        "etlAndTrainingSeconds": round(total, 1),
        "rowsPerSec": round(rows / total),
        "MBPerSec": round(megabytes / total, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes-gb", type=float, nargs="+", default=[0.5, 1, 2],
                        help="sizes to run; a size whose file an interrupted run left complete goes first")
    parser.add_argument("--work", default=os.path.join(ROOT, ".canopy", "bench", "workload"))
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--output", default=os.path.join(ROOT, "bench", "results", "workload.json"))
    args = parser.parse_args()
    runs = []
    for size in sorted(args.sizes_gb, key=lambda size: (not generated(size, args), size)):
        print(f"workload bench: {size} GB", flush=True)
        runs.append(bench_size(size, args.work, args.seed))
        print(json.dumps(runs[-1]), flush=True)
        write_result(runs, args.output)  # after every size, so an interrupted bench still reports


def write_result(runs: list, output: str) -> None:
    base = min(runs, key=lambda run: run["megabytes"])
    result = {
        "sizes": runs,
        "growth": [{"sizeGB": run["sizeGB"], "sizeRatio": round(run["megabytes"] / base["megabytes"], 2),
                    "etlTimeRatio": round(run["etlSeconds"] / base["etlSeconds"], 2),
                    "totalTimeRatio": round(run["etlAndTrainingSeconds"] / base["etlAndTrainingSeconds"], 2)}
                   for run in runs],
        "sparkMaster": os.environ.get("CANOPY_SPARK_MASTER", "local[2]"),
        "machineCores": os.cpu_count(),
        "method": "wall seconds of each jobs/spark-submit.sh run (JVM start included); rows/s and MB/s over "
                  "ETL + both training candidates; generation is timed separately and excluded",
        "note": "measured while other test suites may share the 2 cores",
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }
    with open(output, "w", encoding="utf-8") as handle:
        json.dump(result, handle, indent=2)
        handle.write("\n")

if __name__ == "__main__":
    main()
