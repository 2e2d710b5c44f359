"""Command-line plumbing shared by every job.

Usage errors exit 2 (argparse's convention); expected failures (bad data, bad hyper-parameters)
exit 1 with one clear line on stderr. A job writes `_SUCCESS` only as its last step, so any
failure leaves none.
"""
import argparse
import json
import sys
import traceback


class JobError(Exception):
    """An expected failure whose message is meant for the person who started the job."""


def json_object(text: str) -> dict:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise argparse.ArgumentTypeError(f"not valid JSON ({error.msg}): {text!r}")
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError(f"expected a JSON object, got {text!r}")
    return value


def fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}")
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"must be in (0, 1], got {value}")
    return value


def non_negative_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}")
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {value}")
    return value


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}")
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {value}")
    return value


def run(name: str, parser: argparse.ArgumentParser, body, argv=None) -> int:
    """Parse arguments, run body(args) and turn failures into an exit code with a message."""
    args = parser.parse_args(argv)
    try:
        body(args)
    except JobError as error:
        print(f"{name}: error: {error}", file=sys.stderr)
        return 1
    except Exception as error:  # an unexpected fault still needs a one-line summary at the end
        traceback.print_exc()
        print(f"{name}: failed: {type(error).__name__}: {error}", file=sys.stderr)
        return 1
    return 0
