"""Prepare a pooled float32 featurizer from an ImageNet ONNX CNN.

Example (what setup.sh runs):
  python prepare_featurizer.py --model squeezenet1.1-fp16.onnx --layer fire9/concat_1 \
      --output .canopy/models/squeezenet1.1-pooled.onnx --channel-order BGR \
      --check kitten_224.png=281 --check fish.png=0
"""
import argparse
import hashlib
import os
import sys

import numpy as np
import onnx
import onnxruntime as ort

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from canopy_jobs import cli, images, onnx_featurizer  # noqa: E402


def parse_check(text: str):
    path, separator, index = text.rpartition("=")
    if not separator or not index.isdigit():
        raise argparse.ArgumentTypeError(f"expected IMAGE=CLASS_INDEX, got {text!r}")
    return path, int(index)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, help="ImageNet CNN in ONNX (float16 or float32)")
    parser.add_argument("--layer", required=True, help="node output to expose, e.g. fire9/concat_1 (must be N x C x H x W)")
    parser.add_argument("--output", required=True, help="where to write the pooled featurizer (.onnx)")
    parser.add_argument("--grid", type=cli.positive_int, default=1,
                        help="average-pool the layer over grid x grid windows (default 1: global average)")
    parser.add_argument("--sha256", help="refuse a --model whose sha256 differs")
    parser.add_argument("--size", type=cli.positive_int, default=224, help="square input size in pixels (default 224)")
    parser.add_argument("--channel-order", choices=["RGB", "BGR"], default="BGR", help="channel order the CNN expects")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply 0-255 pixels by this (default 1.0)")
    parser.add_argument("--mean", type=float, nargs=3, default=[0.0, 0.0, 0.0], help="per-channel mean, in channel order")
    parser.add_argument("--std", type=float, nargs=3, default=[1.0, 1.0, 1.0], help="per-channel std, in channel order")
    parser.add_argument("--check", type=parse_check, action="append", default=[],
                        help="IMAGE=CLASS_INDEX: the float32 classifier must rank this class first (repeatable)")
    parser.add_argument("--labels", help="index,name per line, to name classes in check output")
    return parser


def top_class(session: ort.InferenceSession, tensor: np.ndarray) -> tuple:
    scores = session.run(None, {onnx_featurizer.INPUT_NAME: tensor[None]})[0].reshape(-1)
    best = int(np.argmax(scores))
    return best, float(scores[best])


def check_classifier(model: onnx.ModelProto, checks: list, preprocessing: dict, names: dict) -> None:
    """Proves the float32 conversion kept the network's ImageNet predictions."""
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    for path, expected in checks:
        with open(path, "rb") as handle:
            tensor = images.to_tensor(images.decode_rgb(handle.read()), preprocessing)
        best, score = top_class(session, tensor)
        label = names.get(best, str(best))
        print(f"check {os.path.basename(path)}: top class {best} {label!r} ({score:.3f})")
        if best != expected:
            raise cli.JobError(f"{path}: expected class {expected} {names.get(expected, '')!r} first, got {best} {label!r}")


def read_labels(path) -> dict:
    if not path:
        return {}
    with open(path, encoding="utf-8") as handle:
        pairs = (line.rstrip("\n").split(",", 1) for line in handle if line.strip())
        return {int(index): name for index, name in pairs}


def prepare(args) -> None:
    with open(args.model, "rb") as handle:
        raw = handle.read()
    digest = hashlib.sha256(raw).hexdigest()
    if args.sha256 and digest != args.sha256.lower():
        raise cli.JobError(f"{args.model}: sha256 {digest} does not match the expected {args.sha256}")
    preprocessing = {
        "width": args.size, "height": args.size, "channelOrder": args.channel_order,
        "scale": args.scale, "mean": args.mean, "std": args.std,
    }
    classifier = onnx_featurizer.with_free_batch(onnx_featurizer.to_float32(onnx.load_from_string(raw)))
    check_classifier(classifier, args.check, preprocessing, read_labels(args.labels))
    try:
        featurizer = onnx_featurizer.pooled_featurizer(classifier, args.layer, dict(preprocessing, sourceSha256=digest),
                                                        args.grid)
    except ValueError as error:
        raise cli.JobError(str(error))
    os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
    temporary = args.output + ".tmp"
    onnx.save(featurizer, temporary)
    os.replace(temporary, args.output)
    session = ort.InferenceSession(args.output, providers=["CPUExecutionProvider"])
    width = session.run(None, {onnx_featurizer.INPUT_NAME: np.zeros((1, 3, args.size, args.size), np.float32)})[0].shape[1]
    print(f"wrote {args.output}: input {onnx_featurizer.INPUT_NAME} [N,3,{args.size},{args.size}] -> features [N,{width}]")


def main(argv=None) -> int:
    return cli.run("prepare_featurizer", build_parser(), prepare, argv)


if __name__ == "__main__":
    sys.exit(main())
