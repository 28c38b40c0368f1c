"""Two image pairs built from the embedded MNIST subset, as a user would
bring them to configs/paired.py (an .npz of x_train, y_train, x_test,
y_test, label_train, label_test; pixels in [0, 1]): the pairs the paired
defaults are checked on besides the ones they were chosen on.

  mirror   y: another digit of x's class, mirrored left-right and inverted
           (1 - pixel)
  jitter   y: another digit of x's class, shifted by up to 4 pixels each way,
           with uniform noise of 0.3 added, clipped to [0, 1]
  noisy    the noisy-MNIST views of multi-view learning (Wang et al., 2015):
           x the digit rotated by a uniform angle in [-45, 45] degrees, y
           another digit of x's class with uniform noise in [0, 1] added,
           clipped to [0, 1]

  python -m benchmarks.own_pairs --out=/tmp/pairs

writes /tmp/pairs/mirror.npz, jitter.npz and noisy.npz (a function of
--seed alone). --standardise writes <name>_standardised.npz beside each:
every side's values v as (v - 0.1307) / 0.3081, MNIST's usual
standardisation (values in [-0.42, 2.82]), the same pairs otherwise: a
user's data on another scale (docs/method_choices.md, "2 eps^2 relative to
each side's data").
"""

import os

from absl import app
from absl import flags
import numpy as np
from scipy import ndimage

from experiments.sources import images as image_sets

OUT = flags.DEFINE_string('out', '/tmp/pairs', 'directory of the .npz files')
SEED = flags.DEFINE_integer('seed', 0, 'draws the partners, shifts and noise')
STANDARDISE = flags.DEFINE_bool(
    'standardise', False, 'also write each pair with its values standardised')
# MNIST's usual standardisation: the mean and std of its training pixels.
MNIST_MEAN, MNIST_STD = 0.1307, 0.3081


def partners(labels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
  """For each example, another example of its class (a permutation within
  each class, shifted by one so that no example is its own partner)."""
  out = np.empty(len(labels), np.int64)
  for label in np.unique(labels):
    index = rng.permutation(np.flatnonzero(labels == label))
    out[index] = np.roll(index, 1)
  return out


def mirror(images: np.ndarray, rng: np.random.Generator) -> np.ndarray:
  del rng
  return 1.0 - images[:, :, ::-1]


def jitter(images: np.ndarray, rng: np.random.Generator) -> np.ndarray:
  out = np.empty_like(images)
  for i, image in enumerate(images):
    dy, dx = rng.integers(-4, 5, size=2)
    out[i] = np.roll(image, (dy, dx), axis=(0, 1))
  return np.clip(out + rng.uniform(0, 0.3, out.shape), 0, 1).astype(np.float32)


def rotate(images: np.ndarray, rng: np.random.Generator) -> np.ndarray:
  out = np.empty_like(images)
  for i, angle in enumerate(rng.uniform(-45, 45, len(images))):
    out[i] = ndimage.rotate(images[i], angle, reshape=False, order=1)
  return np.clip(out, 0, 1)


def noise(images: np.ndarray, rng: np.random.Generator) -> np.ndarray:
  return np.clip(images + rng.uniform(0, 1, images.shape), 0, 1)


# (name, view of x, view of y): x's view applies to x's own digit, y's to
# its partner's.
PAIRS = (('mirror', None, mirror), ('jitter', None, jitter),
         ('noisy', rotate, noise))


def main(argv):
  del argv
  os.makedirs(OUT.value, exist_ok=True)
  splits = dict(zip(('train', 'test'), image_sets.embedded_mnist(100)))
  for name, x_view, y_view in PAIRS:
    rng = np.random.default_rng(SEED.value)
    arrays = {}
    for split, images in splits.items():
      digits = images.images.astype(np.float32) / 255.0
      y = y_view(digits[partners(images.labels, rng)], rng)
      x = digits if x_view is None else x_view(digits, rng)
      arrays |= {f'x_{split}': x.astype(np.float32),
                 f'y_{split}': y.astype(np.float32),
                 f'label_{split}': images.labels.astype(np.int64)}
    path = os.path.join(OUT.value, f'{name}.npz')
    np.savez_compressed(path, **arrays)
    print('wrote', path, {k: v.shape for k, v in arrays.items()})
    if STANDARDISE.value:
      path = os.path.join(OUT.value, f'{name}_standardised.npz')
      np.savez_compressed(path, **{
          k: ((v - MNIST_MEAN) / MNIST_STD).astype(np.float32)
          if k[0] in 'xy' else v for k, v in arrays.items()})
      print('wrote', path)


if __name__ == '__main__':
  app.run(main)
