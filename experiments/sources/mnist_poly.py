"""An offline pair of two shapes: X an MNIST digit (28 x 28 gray), Y a digit
of the paired label drawn the PolyMNIST way (Sutter et al. 2021): the digit
composited on a random 28 x 28 crop of a colour photograph, the photograph's
pixels inverted in colour where the digit's stroke is (28 x 28 x 3).

The digits are the embedded MNIST subset's (`add1_mnist`, offline); the
photographs ship with scikit-image. Every Y image is made once, from one
digit image of its split (train Y images from train digits only), with a
photograph and crop drawn from data.seed; pairs follow data.label_rule
('add1' by default, as Add-1 MNIST; 'same': both sides show one label).
Sides: 'mnist' and 'polymnist', two domains (two judges, two autoencoders).
"""

import numpy as np

from experiments import data
from experiments.sources import add1_mnist
from experiments.sources import images as image_sets

FIELDS = {
    'seed': 0,  # draws the pairs, the photographs and the crops
    'pairs_per_class': 400,
    'embedded_test_per_class': 100,
    'label_rule': 'add1',
}
TRAINING_FIELDS = ('seed', 'pairs_per_class', 'embedded_test_per_class',
                   'label_rule')
PHOTOGRAPHS = ('astronaut', 'chelsea', 'coffee', 'rocket', 'hubble_deep_field')
X_SIDE = add1_mnist.SIDE
Y_SIDE = data.Side((28, 28, 3), 'polymnist', bounded=True)
# Where a digit pixel's ink is above this, the photograph's colour is inverted.
INK = 0.5


def check(data_config) -> None:
  add1_mnist.check(data_config)
  if data_config.label_rule not in data.LABEL_RULES:
    raise data.DataError(f'data.label_rule={data_config.label_rule!r} is not '
                         f'allowed; allowed: {", ".join(data.LABEL_RULES)}')


def photographs() -> list[np.ndarray]:
  """The background photographs, uint8 [H, W, 3] each."""
  import skimage.data  # pylint: disable=import-outside-toplevel
  return [getattr(skimage.data, name)()[..., :3] for name in PHOTOGRAPHS]


def poly_digits(digits: np.ndarray, rng: np.random.Generator) -> np.ndarray:
  """[n, 28, 28, 1] uint8 digits -> [n, 28, 28, 3] uint8: each digit on a
  random crop of a random photograph, inverted in colour under its ink."""
  backgrounds = photographs()
  out = np.empty(digits.shape[:3] + (3,), np.uint8)
  which = rng.integers(len(backgrounds), size=len(digits))
  for i, digit in enumerate(digits):
    photo = backgrounds[which[i]]
    top = rng.integers(photo.shape[0] - 28 + 1)
    left = rng.integers(photo.shape[1] - 28 + 1)
    crop = photo[top:top + 28, left:left + 28]
    ink = digit[..., 0] > INK * 255
    out[i] = np.where(ink[..., None], 255 - crop, crop)
  return out


def split(digits: image_sets.ImageSet, pairs_per_class: int, rule: str,
          seed: int) -> data.Split:
  """Pairs of one split: x a digit, y the PolyMNIST image of a digit whose
  label follows `rule`; both from this split's digits only."""
  rng = np.random.default_rng(seed)
  poly = poly_digits(digits.images, rng)
  index_x, index_y = data.rule_pairs(digits.labels, digits.labels, rule,
                                     image_sets.NUM_DIGITS, pairs_per_class,
                                     rng)
  return data.Split(digits.images, poly, digits.labels, digits.labels,
                    index_x, index_y)


def load(data_config) -> data.PairedData:
  train, test = image_sets.embedded_mnist(data_config.embedded_test_per_class)
  rule, seed = data_config.label_rule, data_config.seed
  test_per_class = data.max_pairs_per_class(test.labels, test.labels, rule,
                                            image_sets.NUM_DIGITS)
  return data.PairedData(
      X_SIDE, Y_SIDE,
      split(train, data_config.pairs_per_class, rule, seed),
      split(test, test_per_class, rule, seed + 1),
      image_sets.NUM_DIGITS, rule)
