"""Featurizer preparation: float16 -> float32, free batch, pooled layer, ImageNet predictions kept."""
import os

import numpy as np
import onnx
import onnxruntime as ort
import pytest

import prepare_featurizer
from canopy_jobs import images, onnx_featurizer
from conftest import SHARED_DATA, SQUEEZENET

CHECKS = os.path.join(SHARED_DATA, "images", "imagenet-checks")
BGR_224 = {"width": 224, "height": 224, "channelOrder": "BGR", "scale": 1.0, "mean": [0, 0, 0], "std": [1, 1, 1]}

needs_squeezenet = pytest.mark.skipif(not os.path.exists(SQUEEZENET), reason="shared SqueezeNet model absent")


@pytest.fixture(scope="module")
def float32_classifier():
    return onnx_featurizer.with_free_batch(onnx_featurizer.to_float32(onnx.load(SQUEEZENET)))


def run(model: onnx.ModelProto, batch: np.ndarray, output=None):
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run([output] if output else None, {onnx_featurizer.INPUT_NAME: batch})[0]


def check_image(name: str) -> np.ndarray:
    with open(os.path.join(CHECKS, name), "rb") as handle:
        return images.to_tensor(images.decode_rgb(handle.read()), BGR_224)


@needs_squeezenet
def test_float32_model_still_ranks_tabby_cat_and_tench_first(float32_classifier):
    batch = np.stack([check_image("kitten_224.png"), check_image("fish.png")])
    scores = run(float32_classifier, batch).reshape(2, -1)
    assert scores.argmax(axis=1).tolist() == [281, 0]  # "tabby, tabby cat", "tench"
    assert scores[0, 281] > 0.9


@needs_squeezenet
def test_no_float16_remains(float32_classifier):
    assert all(tensor.data_type == onnx.TensorProto.FLOAT for tensor in float32_classifier.graph.initializer)
    assert float32_classifier.graph.input[0].type.tensor_type.elem_type == onnx.TensorProto.FLOAT


@needs_squeezenet
@pytest.mark.parametrize("layer,channels", [("fire9/concat_1", 512), ("fire5/concat_1", 256)])
def test_pooled_featurizer_is_the_global_average_of_the_layer(float32_classifier, layer, channels):
    featurizer = onnx_featurizer.pooled_featurizer(float32_classifier, layer, BGR_224)
    batch = np.stack([check_image("kitten_224.png"), check_image("fish.png"), check_image("kitten_224.png")])
    features = run(featurizer, batch)
    assert features.shape == (3, channels) and features.dtype == np.float32
    exposed = onnx.ModelProto.FromString(float32_classifier.SerializeToString())
    exposed.graph.output.append(onnx.helper.make_tensor_value_info(layer, onnx.TensorProto.FLOAT, None))
    layer_values = run(exposed, batch, output=layer)
    np.testing.assert_allclose(features, layer_values.mean(axis=(2, 3)), rtol=1e-4, atol=1e-4)
    np.testing.assert_array_equal(features[0], features[2])
    assert onnx_featurizer.read_preprocessing(featurizer)["channelOrder"] == "BGR"
    assert {node.op_type for node in featurizer.graph.node}.isdisjoint({"Softmax", "Dropout"})


@needs_squeezenet
def test_prepare_featurizer_checks_and_writes(tmp_path, capsys):
    output = tmp_path / "pooled.onnx"
    code = prepare_featurizer.main([
        "--model", SQUEEZENET, "--layer", "fire9/concat_1", "--output", str(output),
        "--sha256", "21f25e3d9254af93e6218a359469fac714a017b3f9035c0f5c4acbf9a3ff7233",
        "--check", os.path.join(CHECKS, "kitten_224.png=281"), "--check", os.path.join(CHECKS, "fish.png=0"),
    ])
    assert code == 0, capsys.readouterr().err
    assert "top class 281" in capsys.readouterr().out
    assert onnx.load(str(output)).graph.output[0].name == "features"


@needs_squeezenet
def test_prepare_featurizer_refuses_wrong_checksum_unknown_layer_and_failed_check(tmp_path, capsys):
    output = str(tmp_path / "pooled.onnx")
    assert prepare_featurizer.main(["--model", SQUEEZENET, "--layer", "fire9/concat_1", "--output", output,
                                    "--sha256", "0" * 64]) == 1
    assert "does not match" in capsys.readouterr().err
    assert prepare_featurizer.main(["--model", SQUEEZENET, "--layer", "no/such_layer", "--output", output]) == 1
    assert "no/such_layer" in capsys.readouterr().err
    assert prepare_featurizer.main(["--model", SQUEEZENET, "--layer", "fire9/concat_1", "--output", output,
                                    "--check", os.path.join(CHECKS, "fish.png=281")]) == 1
    assert "expected class 281" in capsys.readouterr().err
    assert not os.path.exists(output)
