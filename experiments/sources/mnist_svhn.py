"""MNIST-SVHN (Shi et al. 2019, MMVAE), the multimodal VAE field's standard pair.

X an MNIST digit (28 x 28 x 1), Y an SVHN house number of the same label
(32 x 32 x 3), both through `tfds.data_source` ('mnist', 'svhn_cropped';
prepared once on a machine with internet, docs/data.md). MMVAE's pairing: for each
label, the MNIST and SVHN images of it are permuted independently and paired
position by position, data.pairings times with fresh permutations, so each
image appears in about that many pairs (k = 30 in MMVAE's code: about 1.7
million train pairs). The images are stored once, as uint8 tables (about
0.3 GB for the train split), and the pairs as index arrays. Test pairs use
the test splits, paired once (data.test_pairings).
"""

import numpy as np

from experiments import data
from experiments.sources import images as image_sets

FIELDS = {
    'seed': 0,  # draws the pairing
    'pairings': 30,  # MMVAE's k: pairs per train image (about)
    'test_pairings': 1,
    'pairs_per_class': 0,  # 0: every image of the rarer side of each label
    'tfds_dir': '',  # '' = the tfds default (~/tensorflow_datasets)
}
TRAINING_FIELDS = ('seed', 'pairings', 'pairs_per_class')
X_SIDE = data.Side((28, 28, 1), 'mnist', bounded=True, digits=True)
Y_SIDE = data.Side((32, 32, 3), 'svhn', bounded=True)


def check(data_config) -> None:
  for name in ('pairings', 'test_pairings'):
    value = data_config[name]
    if not (isinstance(value, int) and value >= 1):
      raise data.DataError(f'data.{name}={value!r} is not allowed; use an '
                           'integer >= 1')
  value = data_config.pairs_per_class
  if not (isinstance(value, int) and value >= 0):
    raise data.DataError(f'data.pairs_per_class={value!r} is not allowed; use '
                         'an integer >= 0 (0: as many as the rarer side has)')


def split(mnist: image_sets.ImageSet, svhn: image_sets.ImageSet,
          pairs_per_class: int, pairings: int, seed: int) -> data.Split:
  num = image_sets.NUM_DIGITS
  per_class = pairs_per_class or data.max_pairs_per_class(
      mnist.labels, svhn.labels, 'same', num)
  index_x, index_y = data.rule_pairs(mnist.labels, svhn.labels, 'same', num,
                                     per_class, np.random.default_rng(seed),
                                     repeats=pairings)
  return data.Split(mnist.images, svhn.images, mnist.labels, svhn.labels,
                    index_x, index_y)


def load(data_config) -> data.PairedData:
  directory = data_config.tfds_dir or None
  splits = {}
  for name in ('train', 'test'):
    mnist = image_sets.tfds_split('mnist', name, directory, 'mnist_svhn')
    svhn = image_sets.tfds_split('svhn_cropped', name, directory, 'mnist_svhn')
    splits[name] = (mnist, svhn)
  seed = data_config.seed
  return data.PairedData(
      X_SIDE, Y_SIDE,
      split(*splits['train'], data_config.pairs_per_class,
            data_config.pairings, seed),
      split(*splits['test'], 0, data_config.test_pairings, seed + 1),
      image_sets.NUM_DIGITS, 'same')
