"""Image decoding and preprocessing that a scorer in another language must reproduce."""
import io

import numpy as np
import pytest
from PIL import Image

from canopy_jobs import images

PREP = {"width": 4, "height": 4, "channelOrder": "BGR", "scale": 1.0, "mean": [0, 0, 0], "std": [1, 1, 1]}


def png(array: np.ndarray, mode: str) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array, mode=mode).save(buffer, format="PNG")
    return buffer.getvalue()


def test_greyscale_is_replicated_and_alpha_dropped():
    grey = images.decode_rgb(png(np.full((3, 5), 77, np.uint8), "L"))
    assert grey.shape == (3, 5, 3) and (grey == 77).all()
    rgba = np.zeros((2, 2, 4), np.uint8)
    rgba[..., 0], rgba[..., 3] = 200, 0
    assert images.decode_rgb(png(rgba, "RGBA"))[0, 0].tolist() == [200, 0, 0]


def test_undecodable_bytes_raise():
    with pytest.raises(Exception):
        images.decode_rgb(b"not an image")


def test_bilinear_half_pixel_resize():
    pixels = np.array([[0, 100]], np.float32)[:, :, None]
    resized = images.resize_bilinear(pixels, 1, 4)[0, :, 0]
    # Source x of each output pixel: -0.25 (clamped to 0), 0.25, 0.75, 1.25 (clamped to 1).
    np.testing.assert_allclose(resized, [0, 25, 75, 100])
    same = np.arange(12, dtype=np.uint8).reshape(2, 2, 3)
    np.testing.assert_array_equal(images.resize_bilinear(same, 2, 2), same.astype(np.float32))


def test_tensor_is_nchw_in_channel_order_and_scaled():
    rgb = np.zeros((4, 4, 3), np.uint8)
    rgb[..., 0] = 10  # red
    rgb[..., 2] = 30  # blue
    tensor = images.to_tensor(rgb, PREP)
    assert tensor.shape == (3, 4, 4) and tensor.dtype == np.float32
    assert tensor[0, 0, 0] == 30 and tensor[2, 0, 0] == 10  # BGR
    normalised = images.to_tensor(rgb, dict(PREP, channelOrder="RGB", scale=1 / 255, mean=[0.5, 0, 0], std=[2, 1, 1]))
    np.testing.assert_allclose(normalised[0, 0, 0], (10 / 255 - 0.5) / 2, rtol=1e-6)


def test_description_round_trips():
    assert images.from_description(images.describe(PREP)) == PREP
