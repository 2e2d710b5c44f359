"""Import Fashion-MNIST (IDX gzip files) as train/<label>/<id>.png and test/<label>/<id>.png.

Deterministic: for each class the same seeded permutation picks round(fraction x count) images,
so a smaller fraction is a subset of a larger one with the same seed. The IDX files come from
Debian's dataset-fashion-mnist (/usr/share/datasets/fashion-mnist/) or
github.com/zalandoresearch/fashion-mnist (data/fashion/*.gz).
"""
import argparse
import gzip
import json
import os
import shutil
import sys

import numpy as np
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from canopy_jobs import cli  # noqa: E402

DEFAULT_SOURCE = "/usr/share/datasets/fashion-mnist"
LABELS = ["T-shirt_top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle_boot"]
SPLITS = {"train": "train", "test": "t10k"}
MARKER = "_canopy_import.json"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="import_fashion_mnist.py", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--output", required=True, help="local folder to create train/ and test/ in")
    parser.add_argument("--source", default=DEFAULT_SOURCE, help=f"folder with the four IDX .gz files (default {DEFAULT_SOURCE})")
    parser.add_argument("--sample-fraction", type=cli.fraction, default=1.0, help="fraction of each class to keep (default 1)")
    parser.add_argument("--seed", type=int, default=42, help="seed of the per-class permutation (default 42)")
    return parser


def read_idx(path: str) -> np.ndarray:
    with gzip.open(path, "rb") as handle:
        data = handle.read()
    dimensions = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dimensions)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dimensions).reshape(shape)


def chosen_indices(labels: np.ndarray, fraction: float, seed: int) -> list:
    rng = np.random.default_rng(seed)
    chosen = []
    for label in range(len(LABELS)):
        members = np.flatnonzero(labels == label)
        keep = int(round(fraction * len(members)))
        chosen.extend(members[rng.permutation(len(members))[:keep]].tolist())
    return sorted(chosen)


def import_split(source: str, output: str, split: str, fraction: float, seed: int) -> int:
    prefix = SPLITS[split]
    pixels = read_idx(os.path.join(source, f"{prefix}-images-idx3-ubyte.gz"))
    labels = read_idx(os.path.join(source, f"{prefix}-labels-idx1-ubyte.gz"))
    for name in LABELS:
        os.makedirs(os.path.join(output, split, name), exist_ok=True)
    indices = chosen_indices(labels, fraction, seed)
    for index in indices:
        Image.fromarray(pixels[index], mode="L").save(os.path.join(output, split, LABELS[labels[index]], f"{index:05d}.png"))
    return len(indices)


def run_import(args) -> None:
    missing = [f"{prefix}-{kind}-idx{rank}-ubyte.gz" for prefix in SPLITS.values()
               for kind, rank in (("images", 3), ("labels", 1))
               if not os.path.exists(os.path.join(args.source, f"{prefix}-{kind}-idx{rank}-ubyte.gz"))]
    if missing:
        raise cli.JobError(f"{args.source} lacks {', '.join(missing)}: apt-get install dataset-fashion-mnist, "
                           "or download them from github.com/zalandoresearch/fashion-mnist (data/fashion/) and pass --source")
    settings = {"source": os.path.abspath(args.source), "sampleFraction": args.sample_fraction, "seed": args.seed}
    marker = os.path.join(args.output, MARKER)
    if os.path.exists(marker):
        with open(marker, encoding="utf-8") as handle:
            if json.load(handle).get("settings") == settings:
                print(f"{args.output} already holds this import; nothing to do")
                return
    shutil.rmtree(os.path.join(args.output, "train"), ignore_errors=True)
    shutil.rmtree(os.path.join(args.output, "test"), ignore_errors=True)
    counts = {split: import_split(args.source, args.output, split, args.sample_fraction, args.seed) for split in SPLITS}
    with open(marker, "w", encoding="utf-8") as handle:
        json.dump({"settings": settings, "counts": counts, "labels": LABELS}, handle, indent=2)
    print(f"wrote {counts['train']} train and {counts['test']} test images under {args.output}")


def main(argv=None) -> int:
    return cli.run("import_fashion_mnist", build_parser(), run_import, argv)


if __name__ == "__main__":
    sys.exit(main())
