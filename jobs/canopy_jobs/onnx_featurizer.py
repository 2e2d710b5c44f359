"""Turn an ImageNet ONNX CNN into a featurizer: float32, batch dimension free, one pooled output.

Works on any CNN whose chosen layer is a 4-D NCHW tensor: the layer is average-pooled, over
the whole map (grid 1, `features` [N, C]) or over a grid x grid of overlapping windows that keep
coarse spatial layout (`features` [N, C x grid x grid], channel-major), and flattened.
Everything after the layer is pruned.
"""
import json

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

INPUT_NAME = "image"
FEATURES_NAME = "features"
PREPROCESSING_KEY = "canopy.preprocessing"
IR_VERSION = 7


def to_float32(model: onnx.ModelProto) -> onnx.ModelProto:
    """Rewrite every float16 tensor, type and Cast of the model as float32."""
    model = onnx.ModelProto.FromString(model.SerializeToString())
    graph = model.graph
    for index, tensor in enumerate(graph.initializer):
        if tensor.data_type == TensorProto.FLOAT16:
            as_float = numpy_helper.to_array(tensor).astype(np.float32)
            graph.initializer[index].CopyFrom(numpy_helper.from_array(as_float, tensor.name))
    for value in list(graph.input) + list(graph.output) + list(graph.value_info):
        if value.type.tensor_type.elem_type == TensorProto.FLOAT16:
            value.type.tensor_type.elem_type = TensorProto.FLOAT
    for node in graph.node:
        for attribute in node.attribute:
            if node.op_type == "Cast" and attribute.name == "to" and attribute.i == TensorProto.FLOAT16:
                attribute.i = TensorProto.FLOAT
            if attribute.type == onnx.AttributeProto.TENSOR and attribute.t.data_type == TensorProto.FLOAT16:
                as_float = numpy_helper.to_array(attribute.t).astype(np.float32)
                attribute.t.CopyFrom(numpy_helper.from_array(as_float))
    return model


def image_input(model: onnx.ModelProto) -> onnx.ValueInfoProto:
    """The one graph input that is not an initializer (old exporters list weights as inputs too)."""
    weights = {tensor.name for tensor in model.graph.initializer}
    inputs = [value for value in model.graph.input if value.name not in weights]
    if len(inputs) != 1:
        raise ValueError(f"expected one image input, found {[value.name for value in inputs]}")
    return inputs[0]


def with_free_batch(model: onnx.ModelProto) -> onnx.ModelProto:
    """Name the image input `image`, make its batch dimension symbolic and drop weight inputs."""
    model = onnx.ModelProto.FromString(model.SerializeToString())
    original = image_input(model).name
    weights = {tensor.name for tensor in model.graph.initializer}
    kept = [value for value in model.graph.input if value.name not in weights]
    del model.graph.input[:]
    model.graph.input.extend(kept)
    source = model.graph.input[0]
    source.name = INPUT_NAME
    batch = source.type.tensor_type.shape.dim[0]
    batch.ClearField("dim_value")
    batch.dim_param = "N"
    for node in model.graph.node:
        node.input[:] = [INPUT_NAME if name == original else name for name in node.input]
    # Shapes recorded for a batch of one would contradict the free batch dimension.
    del model.graph.value_info[:]
    model.ir_version = max(model.ir_version, IR_VERSION)
    return model


def layer_names(model: onnx.ModelProto) -> list:
    return [output for node in model.graph.node for output in node.output]


def layer_shape(model: onnx.ModelProto, layer: str, height: int, width: int) -> list:
    """[C, H, W] of a layer for one input image of the given size (by shape inference)."""
    probe = onnx.ModelProto.FromString(model.SerializeToString())
    dims = probe.graph.input[0].type.tensor_type.shape.dim
    for dim, size in zip(dims, [1, 3, height, width]):
        dim.dim_value = size
    probe.graph.output.append(helper.make_tensor_value_info(layer, TensorProto.FLOAT, None))
    inferred = onnx.shape_inference.infer_shapes(probe)
    for value in list(inferred.graph.value_info) + list(inferred.graph.output):
        if value.name == layer and len(value.type.tensor_type.shape.dim) == 4:
            return [dim.dim_value for dim in value.type.tensor_type.shape.dim[1:]]
    raise ValueError(f"layer {layer!r} is not a 4-D (N, C, H, W) tensor")


def _pool_node(layer: str, pooled: str, grid: int, shape: list):
    if grid == 1:
        return helper.make_node("GlobalAveragePool", [layer], [pooled], name="canopy_pool")
    _, height, width = shape
    if min(height, width) < grid:
        raise ValueError(f"layer map {height}x{width} is smaller than a {grid}x{grid} grid")
    stride_h, stride_w = height // grid, width // grid
    kernel = [height - (grid - 1) * stride_h, width - (grid - 1) * stride_w]
    return helper.make_node("AveragePool", [layer], [pooled], name="canopy_pool",
                            kernel_shape=kernel, strides=[stride_h, stride_w])


def pooled_featurizer(model: onnx.ModelProto, layer: str, preprocessing: dict, grid: int = 1) -> onnx.ModelProto:
    """Keep only what `layer` needs, then average-pool (see module doc) + Flatten it into `features`."""
    if layer not in layer_names(model):
        raise ValueError(f"layer {layer!r} is not a node output of the model")
    producers = {output: node for node in model.graph.node for output in node.output}
    needed_nodes, pending, seen = set(), [layer], set()
    while pending:
        name = pending.pop()
        if name in seen or name not in producers:
            continue
        seen.add(name)
        node = producers[name]
        needed_nodes.add(id(node))
        pending.extend(node.input)
    nodes = [node for node in model.graph.node if id(node) in needed_nodes]
    used = {name for node in nodes for name in node.input}
    initializers = [tensor for tensor in model.graph.initializer if tensor.name in used]
    pooled = f"{layer}/canopy_pooled"
    shape = layer_shape(model, layer, preprocessing["height"], preprocessing["width"])
    nodes.append(_pool_node(layer, pooled, grid, shape))
    nodes.append(helper.make_node("Flatten", [pooled], [FEATURES_NAME], name="canopy_flatten", axis=1))
    output = helper.make_tensor_value_info(FEATURES_NAME, TensorProto.FLOAT, ["N", None])
    graph = helper.make_graph(nodes, "canopy_featurizer", list(model.graph.input), [output], initializers)
    featurizer = helper.make_model(graph, opset_imports=list(model.opset_import), ir_version=model.ir_version)
    featurizer.producer_name = "canopy"
    helper.set_model_props(featurizer, {PREPROCESSING_KEY: json.dumps(preprocessing, sort_keys=True),
                                        "canopy.layer": layer, "canopy.grid": str(grid)})
    onnx.checker.check_model(featurizer)
    return featurizer


def read_preprocessing(model: onnx.ModelProto) -> dict:
    for prop in model.metadata_props:
        if prop.key == PREPROCESSING_KEY:
            return json.loads(prop.value)
    raise ValueError(f"featurizer has no {PREPROCESSING_KEY} metadata; prepare it with prepare_featurizer.py")
