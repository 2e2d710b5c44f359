"""Grid mode: one Spark application fits a whole grid of candidates on data it prepared once.

Each candidate writes under <output>/<candidate id>/ the same layout a one-candidate run writes
under <output> (metrics.json, model/, spark-model/, _SUCCESS last) as soon as it is done, so the
orchestration records candidates while the others still train. A candidate that fails writes
_FAILED (JSON: message and the end of its traceback) instead and fails alone.
"""
import argparse
import contextlib
import json
import re
import sys
import threading
import time
import traceback
from concurrent.futures import ThreadPoolExecutor

from canopy_jobs import cli, storage

FAILED_MARKER = "_FAILED"
LOG_TAIL_LINES = 40
_CANDIDATE_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{0,120}$")


def parse(text: str) -> list:
    """--grid: a JSON array of {"id", "classifier", "params"}, ids unique and safe as folder names."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise argparse.ArgumentTypeError(f"not valid JSON ({error.msg})")
    if not isinstance(value, list) or not value:
        raise argparse.ArgumentTypeError("expected a non-empty JSON array of candidates")
    seen = set()
    for candidate in value:
        if not isinstance(candidate, dict) or not isinstance(candidate.get("id"), str) \
                or not isinstance(candidate.get("classifier"), str) or not isinstance(candidate.get("params", {}), dict):
            raise argparse.ArgumentTypeError(f"each candidate needs an id, a classifier and a params object: {candidate!r}")
        if not _CANDIDATE_ID.match(candidate["id"]) or candidate["id"] in seen:
            raise argparse.ArgumentTypeError(f"candidate id {candidate['id']!r} is not a unique folder-safe name")
        seen.add(candidate["id"])
    return [{"id": c["id"], "classifier": c["classifier"], "params": c.get("params", {})} for c in value]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Grid mode replaces --classifier/--params; exactly one of the two ways is required."""
    parser.add_argument("--grid", type=parse,
                        help="JSON array of candidates {\"id\", \"classifier\", \"params\"}: train them all in this "
                             "application, each under <output>/<id>/")
    parser.add_argument("--parallelism", type=cli.positive_int, default=2,
                        help="grid mode: candidates fitted at once (default 2)")


def candidates_of(args) -> list:
    """The grid to train: --grid's, or the one candidate of --classifier/--params written straight under --output."""
    if args.grid is not None:
        if args.classifier is not None:
            raise cli.JobError("give either --grid or --classifier, not both")
        return args.grid
    if args.classifier is None:
        raise cli.JobError("one of --classifier or --grid is required")
    return [{"id": None, "classifier": args.classifier, "params": args.params}]


def output_of(args, candidate: dict) -> str:
    return args.output if candidate["id"] is None else storage.join(args.output, candidate["id"])


class Timings:
    """Seconds one candidate spent per phase, for metrics.json's `timings`."""

    PHASES = ("featurize", "fit", "evaluate", "write")

    def __init__(self, featurize_share: float):
        self.seconds = {phase: 0.0 for phase in self.PHASES}
        self.seconds["featurize"] = round(featurize_share, 3)

    @contextlib.contextmanager
    def phase(self, name: str):
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = round(self.seconds[name] + time.perf_counter() - started, 3)


def failure_document(error: BaseException) -> dict:
    lines = "".join(traceback.format_exception(type(error), error, error.__traceback__)).splitlines()
    message = str(error) if isinstance(error, cli.JobError) else f"{type(error).__name__}: {error}"
    return {"message": message, "log": "\n".join(lines[-LOG_TAIL_LINES:])}


def costliest_first(candidates: list, cost) -> list:
    """Candidates by descending cost(candidate), ties in grid order; a candidate whose cost cannot be
    estimated (a bad hyper-parameter) goes last, to fail on its own when its turn comes."""
    def estimate(candidate):
        try:
            return cost(candidate)
        except cli.JobError:  # the candidate's own attempt reports the fault
            return -1
    return sorted(candidates, key=estimate, reverse=True)


def run(spark, args, candidates: list, train_one, cost) -> None:
    """train_one(candidate, output) per candidate, `--parallelism` at once, costliest first by
    cost(candidate).

    One candidate (no id) runs as before: its error ends the job. In grid mode a failure is written
    to that candidate's _FAILED and the job fails only when every candidate did.
    """
    if len(candidates) == 1 and candidates[0]["id"] is None:
        train_one(candidates[0], args.output)
        return
    outcomes = {}
    lock = threading.Lock()

    def attempt(candidate):
        output = output_of(args, candidate)
        try:
            train_one(candidate, output)
            outcome = None
        except Exception as error:  # one candidate's fault must not end the others
            failure = failure_document(error)
            storage.write_text(spark, storage.join(output, FAILED_MARKER), json.dumps(failure, indent=2))
            print(f"candidate {candidate['id']} failed: {failure['message']}", file=sys.stderr)
            outcome = failure["message"]
        with lock:
            outcomes[candidate["id"]] = outcome

    with ThreadPoolExecutor(max_workers=min(args.parallelism, len(candidates)), thread_name_prefix="candidate") as pool:
        list(pool.map(attempt, costliest_first(candidates, cost)))
    if all(outcome is not None for outcome in outcomes.values()):
        raise cli.JobError(f"every candidate of the grid failed; first: {next(iter(outcomes.values()))}")


def start_outputs(spark, args, candidates: list) -> None:
    """A rerun must not leave an old _SUCCESS or _FAILED standing while it works."""
    for candidate in candidates:
        output = output_of(args, candidate)
        storage.delete(spark, storage.join(output, "_SUCCESS"))
        storage.delete(spark, storage.join(output, FAILED_MARKER))
