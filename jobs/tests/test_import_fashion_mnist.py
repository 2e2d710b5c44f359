"""Fashion-MNIST import into train/<label>/<id>.png, test/<label>/<id>.png."""
import os

import pytest
from PIL import Image

import import_fashion_mnist
from conftest import FASHION_MNIST

pytestmark = pytest.mark.skipif(not os.path.exists(os.path.join(FASHION_MNIST, "train-images-idx3-ubyte.gz")),
                                reason="Debian dataset-fashion-mnist is not installed")


def files(root):
    return sorted(os.path.relpath(os.path.join(folder, name), root)
                  for folder, _, names in os.walk(root) for name in names if name.endswith(".png"))


def test_import_is_deterministic_per_class_and_nested(tmp_path):
    assert import_fashion_mnist.main(["--output", str(tmp_path / "a"), "--sample-fraction", "0.002"]) == 0
    assert import_fashion_mnist.main(["--output", str(tmp_path / "b"), "--sample-fraction", "0.002"]) == 0
    assert import_fashion_mnist.main(["--output", str(tmp_path / "c"), "--sample-fraction", "0.004"]) == 0
    small = files(tmp_path / "a")
    assert small == files(tmp_path / "b")
    assert set(small) < set(files(tmp_path / "c"))
    for label in import_fashion_mnist.LABELS:
        assert len(os.listdir(tmp_path / "a" / "train" / label)) == 12  # 0.002 x 6,000
        assert len(os.listdir(tmp_path / "a" / "test" / label)) == 2  # 0.002 x 1,000
    with Image.open(tmp_path / "a" / small[0]) as image:
        assert image.size == (28, 28) and image.mode == "L"


def test_missing_source_says_where_to_get_it(tmp_path, capsys):
    assert import_fashion_mnist.main(["--output", str(tmp_path / "a"), "--source", str(tmp_path)]) == 1
    assert "dataset-fashion-mnist" in capsys.readouterr().err
