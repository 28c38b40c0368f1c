"""Style-transfer morphometry and Fréchet distances on constructed inputs."""

import numpy as np
import pytest
from scipy import ndimage

from conftest import embedded_digits
from experiments.judging import frechet, metrics, morphometry


def bar(width: int, shear: float = 0.0) -> np.ndarray:
  """A 28x28 stroke `width` pixels wide from row 4 to row 23, its top moved
  `shear` pixels to the right per pixel of height (italics for shear > 0)."""
  image = np.zeros((28, 28))
  for row in range(4, 24):
    left = 14 - width // 2 + round(shear * (13.5 - row))
    image[row, left:left + width] = 1.0
  return image


@pytest.mark.parametrize('shear', [-0.3, -0.1, 0.1, 0.3])
def test_sheared_stroke_has_the_slant_of_its_shear(shear):
  slant, _ = morphometry.measure(bar(2, shear).reshape(1, -1))
  assert np.sign(slant[0]) == np.sign(shear)
  assert slant[0] == pytest.approx(np.arctan(shear), abs=0.03)


def test_upright_stroke_has_no_slant():
  slant, _ = morphometry.measure(bar(3).reshape(1, -1))
  assert abs(slant[0]) < 1e-6


@pytest.mark.parametrize('width', [2, 3, 5])
def test_stroke_thickness_is_its_width(width):
  _, thickness = morphometry.measure(bar(width).reshape(1, -1))
  assert thickness[0] == pytest.approx(width, abs=0.5)


def test_dilated_digits_are_thicker_by_the_dilation():
  _, test = embedded_digits(10)
  digits = test.images[:20].reshape(-1, 28, 28)
  dilated = np.stack([ndimage.grey_dilation(d, size=(3, 3)) for d in digits])
  _, before = morphometry.measure(digits.reshape(20, -1))
  _, after = morphometry.measure(dilated.reshape(20, -1))
  # A 3x3 dilation adds a pixel on each side of a stroke: about 2 px.
  assert np.all(after > before + 1.0)
  assert np.median(after - before) == pytest.approx(2.0, abs=0.6)


def test_blank_images_are_skipped_not_measured():
  slant, thickness = morphometry.measure(np.zeros((2, 784)))
  assert np.all(np.isnan(slant)) and np.all(np.isnan(thickness))
  assert morphometry.pearson(np.array([1.0, 2.0, np.nan, 4.0]),
                             np.array([2.0, 4.0, 5.0, 8.0])) == pytest.approx(1.0)


def test_outputs_equal_to_their_references_correlate_perfectly():
  _, test = embedded_digits(10)
  result = metrics.style_transfer_morphometry(test.images, test.images)
  assert result == {'eval/style_transfer_slant_corr': pytest.approx(1.0),
                    'eval/style_transfer_thickness_corr': pytest.approx(1.0)}


def test_outputs_ignoring_their_references_do_not_correlate():
  _, test = embedded_digits(30)
  shuffled = test.images[np.random.default_rng(0).permutation(len(test.images))]
  result = metrics.style_transfer_morphometry(test.images, shuffled)
  assert abs(result['eval/style_transfer_slant_corr']) < 0.15
  assert abs(result['eval/style_transfer_thickness_corr']) < 0.15


def test_frechet_distance_closed_form():
  # N(m, I) against N(m', 4I) in d dimensions: |m - m'|^2 + d (1 + 4 - 2*2).
  d, shift = 6, np.arange(6.0)
  value = frechet.gaussian_frechet_distance(np.zeros(d), np.eye(d), shift,
                                            4.0 * np.eye(d))
  assert value == pytest.approx(shift @ shift + d, rel=1e-9)


def test_frechet_distance_of_a_shifted_set_is_the_squared_shift():
  feats = np.random.default_rng(0).normal(size=(500, 16))
  shift = np.full(16, 0.5)
  assert frechet.frechet_distance(feats, feats) == pytest.approx(0.0, abs=1e-6)
  assert frechet.frechet_distance(feats, feats + shift) == pytest.approx(
      shift @ shift, rel=1e-6)


@pytest.mark.parametrize('sizes', [(50, 80), (80, 50), (5, 5), (300, 200)])
def test_frechet_distance_of_few_examples_equals_the_covariance_formula(sizes):
  # Fewer examples than features take the [Na, Na] route: the same value
  # as the FID formula on the full [F, F] covariances.
  rng = np.random.default_rng(1)
  a = rng.normal(size=(sizes[0], 64)) @ rng.normal(size=(64, 64))
  b = rng.normal(size=(sizes[1], 64)) + 0.3
  expected = frechet.gaussian_frechet_distance(
      a.mean(0), np.cov(a, rowvar=False), b.mean(0), np.cov(b, rowvar=False))
  assert frechet.frechet_distance(a, b) == pytest.approx(expected, rel=1e-8)
  assert frechet.frechet_distance(b, a) == pytest.approx(expected, rel=1e-8)


def test_frechet_distance_refuses_mismatched_features():
  with pytest.raises(ValueError, match='feature sizes differ: 4 and 5'):
    frechet.frechet_distance(np.zeros((3, 4)), np.zeros((3, 5)))
  with pytest.raises(ValueError, match=r'feats_a must be \[N >= 2, F\]'):
    frechet.frechet_distance(np.zeros((1, 4)), np.zeros((3, 4)))


def test_code_entropy_counts_distinct_codes_not_rate():
  one_hot = np.full((8, 2, 10), -5.0)
  one_hot[..., 3] = 5.0  # every pair: the same near-one-hot, rate near its max
  assert metrics.code_entropy(one_hot) == 0.0
  spread = one_hot.copy()
  spread[:, 0] = np.eye(10)[np.arange(8) % 4] * 10 - 5  # 4 codes, 2 pairs each
  assert metrics.code_entropy(spread) == pytest.approx(np.log(4))
  assert metrics.code_entropy(np.zeros((8, 0, 0))) == 0.0


def per_image_reference(images):
  """Morpho-MNIST's steps image by image, with skimage's pyramid_expand."""
  from skimage import transform  # pylint: disable=import-outside-toplevel
  slants, thicknesses = [], []
  for image in images.reshape(-1, 28, 28).astype(np.float64):
    up = transform.pyramid_expand(image, upscale=4, order=3)
    slants.append(morphometry.slant(up))
    thicknesses.append(morphometry.thickness(up) / 4)
  return np.array(slants), np.array(thicknesses)


def test_batched_upscaling_is_pyramid_expand():
  from skimage import transform  # pylint: disable=import-outside-toplevel
  _, test = embedded_digits(10)
  noisy = np.random.default_rng(0).uniform(size=(20, 28, 28))
  for images in (test.images.reshape(-1, 28, 28).astype(np.float64), noisy):
    expected = np.stack([transform.pyramid_expand(im, upscale=4, order=3)
                         for im in images])
    np.testing.assert_allclose(morphometry.upscaled(images), expected,
                               rtol=0, atol=1e-12)


def test_measure_equals_the_per_image_reference():
  _, test = embedded_digits(30)  # 300 digits: more than one chunk
  # and generated-like images: blurred, noisy digits
  blurred = ndimage.gaussian_filter(test.images.reshape(-1, 28, 28)[:100],
                                    (0, 1, 1)) + np.random.default_rng(0).uniform(
                                        0, 0.1, (100, 28, 28))
  for images in (test.images, blurred.reshape(100, -1)):
    slant, thickness = morphometry.measure(images)
    ref_slant, ref_thickness = per_image_reference(images)
    np.testing.assert_allclose(slant, ref_slant, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(thickness, ref_thickness)


def test_thickness_on_the_stroke_box_is_the_whole_images_bitwise():
  # Digits, noise (strokes everywhere), a stroke touching every edge and
  # one touching three: thinning and distances on the whole upscaled image.
  from skimage import morphology  # pylint: disable=import-outside-toplevel
  def whole(image):
    binary = image >= image.min() + 0.5 * (image.max() - image.min())
    distance = ndimage.distance_transform_edt(binary)
    return float(2.0 * distance[morphology.skeletonize(binary)].mean())
  _, test = embedded_digits(10)
  edges = np.zeros((2, 28, 28))
  edges[0] = 1.0
  edges[0, 10:18, 10:18] = 0.0  # a frame: the stroke touches all four edges
  edges[1, :, 3:] = np.linspace(0, 1, 25)  # three edges
  for images in (test.images.reshape(-1, 28, 28).astype(np.float64),
                 np.random.default_rng(0).uniform(size=(20, 28, 28)), edges):
    for image in morphometry.upscaled(images):
      if image.max() > image.min():
        assert morphometry.thickness(image) == whole(image)


def test_the_references_of_every_model_of_a_run_are_measured_once(monkeypatch):
  _, test = embedded_digits(10)
  styles = test.images
  outputs = [np.clip(styles[::-1] + shift, 0.0, 1.0) for shift in (0.0, 0.2)]
  first = [metrics.style_transfer_morphometry(styles, out) for out in outputs]
  measured = []
  real_measure = morphometry.measure
  monkeypatch.setattr(morphometry, 'measure', lambda images: (
      measured.append(images) or real_measure(images)))
  again = [metrics.style_transfer_morphometry(styles, out) for out in outputs]
  # Only the outputs are measured again; the results are the same, bitwise.
  assert again == first and len(measured) == 2
  cells = np.random.default_rng(0).permutation(len(styles))
  for images, out in zip(measured, outputs):
    np.testing.assert_array_equal(images, out[cells[:metrics.MORPHOMETRY_CELLS]])
  # Other references are measured, not mistaken for these.
  metrics.style_transfer_morphometry(styles[::-1], outputs[0])
  assert len(measured) == 4
