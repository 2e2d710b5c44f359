"""Image decoding and the exact preprocessing a featurizer expects.

The resize is implemented here rather than borrowed from Pillow so that a scorer in another
language can reproduce it bit for bit from the manifest's description: bilinear, half-pixel
centres, edge clamping, no antialiasing, computed in float32.
"""
import io

import numpy as np
from PIL import Image

RESIZE_DESCRIPTION = {
    "method": "bilinear",
    "coordinates": "half_pixel: src = (dst + 0.5) * in / out - 0.5, clamped to [0, in - 1]",
    "antialias": False,
    "arithmetic": "float32 on 0-255 pixel values, no rounding",
}
COLOUR_DESCRIPTION = (
    "decode PNG/JPEG; convert to RGB: greyscale is replicated to 3 channels, "
    "alpha is dropped without compositing, palettes are expanded"
)


def decode_rgb(data: bytes) -> np.ndarray:
    """Decode image bytes to an H x W x 3 uint8 RGB array; raises on anything undecodable."""
    with Image.open(io.BytesIO(data)) as image:
        image.load()
        return np.asarray(image.convert("RGB"), dtype=np.uint8)


def decode_pixels(data: bytes) -> np.ndarray:
    """Like decode_rgb, but an 8-bit greyscale image stays H x W: its three replicated channels
    would be resized identically, so to_tensor resizes one and replicates the result."""
    with Image.open(io.BytesIO(data)) as image:
        image.load()
        if image.mode == "L":
            return np.asarray(image, dtype=np.uint8)
        return np.asarray(image.convert("RGB"), dtype=np.uint8)


def _axis_weights(size_in: int, size_out: int):
    source = (np.arange(size_out, dtype=np.float32) + 0.5) * (size_in / size_out) - 0.5
    source = np.clip(source, 0, size_in - 1)
    low = np.floor(source).astype(np.int64)
    high = np.minimum(low + 1, size_in - 1)
    return low, high, (source - low).astype(np.float32)


def resize_bilinear(pixels: np.ndarray, height: int, width: int) -> np.ndarray:
    """H x W (x C) array -> height x width (x C) float32, as RESIZE_DESCRIPTION says.

    Separable: each source row is interpolated along x once, then output rows blend two of
    those. Every output value takes the same float32 operations in the same order as blending
    the four neighbours directly, at a fraction of the work when upscaling."""
    pixels = pixels.astype(np.float32)
    if pixels.shape[:2] == (height, width):
        return pixels
    y_low, y_high, y_weight = _axis_weights(pixels.shape[0], height)
    x_low, x_high, x_weight = _axis_weights(pixels.shape[1], width)
    trailing = (None,) * (pixels.ndim - 2)
    x_weight = x_weight[(None, slice(None)) + trailing]
    rows = pixels[:, x_low] * (1 - x_weight) + pixels[:, x_high] * x_weight
    y_weight = y_weight[(slice(None), None) + trailing]
    return rows[y_low] * (1 - y_weight) + rows[y_high] * y_weight


def to_tensor(pixels: np.ndarray, preprocessing: dict) -> np.ndarray:
    """RGB (H x W x 3) or greyscale (H x W) uint8 image -> 3 x H x W float32 tensor in the
    featurizer's channel order and scale."""
    resized = resize_bilinear(pixels, preprocessing["height"], preprocessing["width"])
    mean = np.asarray(preprocessing["mean"], dtype=np.float32)
    std = np.asarray(preprocessing["std"], dtype=np.float32)
    scale = np.float32(preprocessing["scale"])
    if resized.ndim == 2:
        resized = resized[None, :, :]
    else:
        resized = resized.transpose(2, 0, 1)
        if preprocessing["channelOrder"] == "BGR":
            resized = resized[::-1]
    # x * 1, x - 0 and x / 1 are exact in float32, so skipping them changes no value.
    if scale != 1:
        resized = resized * scale
    if np.any(mean != 0):
        resized = resized - mean[:, None, None]
    if np.any(std != 1):
        resized = resized / std[:, None, None]
    return np.ascontiguousarray(np.broadcast_to(resized, (3,) + resized.shape[1:]), dtype=np.float32)


def describe(preprocessing: dict) -> dict:
    """The manifest's account of how image bytes become the model input."""
    return {
        "decode": COLOUR_DESCRIPTION,
        "resize": dict(RESIZE_DESCRIPTION, width=preprocessing["width"], height=preprocessing["height"]),
        "channelOrder": preprocessing["channelOrder"],
        "layout": "NCHW",
        "dtype": "float32",
        "normalise": "value = (pixel * scale - mean[channel]) / std[channel], channels in channelOrder",
        "scale": preprocessing["scale"],
        "mean": preprocessing["mean"],
        "std": preprocessing["std"],
    }


def from_description(description: dict) -> dict:
    """Inverse of describe(): the preprocessing settings a package's manifest records."""
    return {
        "width": description["resize"]["width"], "height": description["resize"]["height"],
        "channelOrder": description["channelOrder"], "scale": description["scale"],
        "mean": description["mean"], "std": description["std"],
    }
