"""Your own paired arrays, from one .npz file (`data.path`).

Keys: x_train, y_train, x_test, y_test (first axis the pairs, at least one
more axis of at least one value: [pairs, ...]; any real values; the two
splits of one side share that shape) and, optionally, label_train and
label_test (one integer per pair, the class both sides share: 0 .. K-1 with
K >= 2 classes, each of them in label_train). With labels the label metrics
are computed (label rule 'same'); without, a run reports losses, rates,
reconstructions and samples. No other key: a misspelt one (label_trian)
would silently drop the label metrics.

The file is data, never code: it is read with allow_pickle=False, so an
object array is refused rather than unpickled. A file with a missing,
unknown or misshapen key, pair counts that differ, a non-finite value,
values beyond float32's range, a non-numeric type, or labels that are not
classes 0 .. K-1 of the training pairs is refused in one line naming the
key, before anything is written.

8-bit sides (dtype uint8, images as most people store them) are scaled to
[0, 1] by 1/255, as the embedded sources are; any other numbers are used as
they are. Each side is its own domain ('x', 'y'); a side whose values all
lie in [0, 1] gets sigmoid decoder outputs, any other linear ones.
"""

import os

import numpy as np

from experiments import data

FIELDS = {
    'path': '',  # the .npz file
    'seed': 0,  # the judges' training seed (the pairs are the file's)
    # '': the sides apart; 'beside' / 'above': x and y are the left / top
    # and right / bottom halves of one image, and the figures show each pair
    # joined (x's and y's image shapes must then fit together).
    'joined': '',
}
JOINED = ('', 'beside', 'above')
# None: the data's checksum in every checkpoint names the pairs, so a file
# moved or renamed keeps its workdir (give the new data.path).
TRAINING_FIELDS = ()
REQUIRED = ('x_train', 'y_train', 'x_test', 'y_test')
LABELS = ('label_train', 'label_test')


def check(data_config) -> None:
  if data_config.joined not in JOINED:
    raise data.DataError(f'data.joined={data_config.joined!r} is not allowed; '
                         "use '' (the sides apart), 'beside' (x left of y) or "
                         "'above' (x above y)")
  if not data_config.path:
    raise data.DataError("data.path='' is not allowed; give the .npz file of "
                         'your pairs: --config.data.path=FILE.npz')


def _array(archive, key: str, path: str) -> np.ndarray:
  try:
    array = archive[key]
  except ValueError as e:  # an object array without pickle
    raise data.DataError(f'{path}: {key} is an object array ({e}); store '
                         'numbers (an .npz is read without pickle)') from None
  if array.dtype.kind not in 'iuf':
    raise data.DataError(f'{path}: {key} has dtype {array.dtype}; use '
                         'integers or floats')
  if array.ndim < 1 or len(array) == 0:
    raise data.DataError(f'{path}: {key} has shape {array.shape}; the first '
                         'axis must be the pairs (at least one)')
  if key in LABELS:
    return array
  if array.ndim < 2 or array[0].size == 0:
    raise data.DataError(
        f'{path}: {key} has shape {array.shape}; a side needs [pairs, ...] '
        f'with at least one value per example (one number per pair: '
        f'reshape to [{len(array)}, 1])')
  if array.dtype.kind == 'f' and not np.all(np.isfinite(array)):
    raise data.DataError(f'{path}: {key} holds NaN or infinite values')
  largest = float(np.max(np.abs(array)))
  if largest > float(np.finfo(np.float32).max):
    raise data.DataError(f'{path}: {key} holds values up to {largest:.3g}, '
                         'beyond float32 (3.4e38), which the model computes '
                         'in; rescale the side')
  return array


def _check_labels(arrays: dict[str, np.ndarray], path: str) -> None:
  """Labels are classes 0 .. K-1, K >= 2, each with training pairs."""
  for key in LABELS:
    labels = arrays[key]
    if labels.ndim != 1 or labels.dtype.kind not in 'iu' or labels.min() < 0:
      raise data.DataError(f'{path}: {key} has shape {labels.shape} and '
                           f'dtype {labels.dtype}; use one integer >= 0 per '
                           'pair')
  train, test = arrays['label_train'], arrays['label_test']
  classes = int(max(train.max(), test.max())) + 1
  seen = np.unique(train)
  if len(seen) < 2:
    raise data.DataError(f'{path}: label_train holds one class ({seen[0]}); '
                         'labels need at least 2 classes (or leave them out)')
  if len(seen) < classes:
    missing = np.setdiff1d(np.arange(classes), seen)
    raise data.DataError(
        f'{path}: labels run to {classes - 1} but label_train has no pair of '
        f'class {", ".join(str(c) for c in missing[:5])}'
        f'{", ..." if len(missing) > 5 else ""} ({len(missing)} of {classes} '
        'missing); number the classes 0 .. K-1, each with training pairs')


def read(path: str) -> dict[str, np.ndarray]:
  """The arrays of the file, checked (DataError naming the bad key)."""
  if not os.path.isfile(path):
    raise data.DataError(f'data.path={path!r} is not a file; give the .npz '
                         f'file with {", ".join(REQUIRED)}')
  try:
    archive = np.load(path, allow_pickle=False)
  except Exception as e:  # pylint: disable=broad-except
    raise data.DataError(f'data.path={path!r} is not an .npz file '
                         f'({type(e).__name__}: {e})') from None
  if not hasattr(archive, 'files'):  # an .npy under an .npz name
    raise data.DataError(f'data.path={path!r} holds one array, not an .npz '
                         f'file with {", ".join(REQUIRED)}')
  with archive:
    unknown = sorted(set(archive.files) - set(REQUIRED + LABELS))
    if unknown:
      raise data.DataError(f'{path}: unknown key {unknown[0]}; the file holds '
                           f'{", ".join(REQUIRED)} and optionally '
                           f'{", ".join(LABELS)}, nothing else')
    missing = [k for k in REQUIRED if k not in archive.files]
    if missing:
      raise data.DataError(f'{path}: no key {missing[0]}; the file needs '
                           f'{", ".join(REQUIRED)} (and optionally '
                           f'{", ".join(LABELS)})')
    given = [k for k in LABELS if k in archive.files]
    if len(given) == 1:
      other = LABELS[1 - LABELS.index(given[0])]
      raise data.DataError(f'{path}: {given[0]} without {other}; give labels '
                           'for both splits or for neither')
    arrays = {k: _array(archive, k, path) for k in REQUIRED + tuple(given)}
  for side in ('x', 'y'):
    train, test = arrays[f'{side}_train'], arrays[f'{side}_test']
    if train.shape[1:] != test.shape[1:]:
      raise data.DataError(f'{path}: {side}_test has examples of shape '
                           f'{test.shape[1:]}, {side}_train of {train.shape[1:]}; '
                           'both splits of a side need one shape')
  for split in ('train', 'test'):
    count = len(arrays[f'x_{split}'])
    for key in (f'y_{split}', f'label_{split}'):
      if key in arrays and len(arrays[key]) != count:
        raise data.DataError(f'{path}: {key} has {len(arrays[key])} pairs, '
                             f'x_{split} {count}; every key of a split needs '
                             'one entry per pair')
  if given:
    _check_labels(arrays, path)
  return arrays


def _table(array: np.ndarray) -> np.ndarray:
  """A side's table: 8-bit values kept as they are, which every reader
  scales to [0, 1] (`data.as_float`), as the embedded sources' tables; any
  other numbers as float32."""
  return array if array.dtype == np.uint8 else array.astype(np.float32)


def _side(name: str, train: np.ndarray, test: np.ndarray) -> data.Side:
  if train.dtype == test.dtype == np.uint8:
    return data.Side(tuple(int(s) for s in train.shape[1:]), name, True)
  bounded = bool(min(train.min(), test.min()) >= 0
                 and max(train.max(), test.max()) <= 1)
  return data.Side(tuple(int(s) for s in train.shape[1:]), name, bounded)


def load(data_config) -> data.PairedData:
  arrays = read(data_config.path)
  labelled = 'label_train' in arrays
  num_classes = (int(max(arrays['label_train'].max(),
                         arrays['label_test'].max())) + 1 if labelled else 0)

  def split(name):
    x, y = _table(arrays[f'x_{name}']), _table(arrays[f'y_{name}'])
    labels = arrays[f'label_{name}'].astype(np.int32) if labelled else None
    index = np.arange(len(x), dtype=np.int32)
    return data.Split(x, y, labels, labels, index, index)

  x = _side('x', arrays['x_train'], arrays['x_test'])
  y = _side('y', arrays['y_train'], arrays['y_test'])
  _check_joined(data_config.joined, x.shape, y.shape, data_config.path)
  return data.PairedData(x, y, split('train'), split('test'), num_classes,
                         'same', joined=data_config.joined)


def _check_joined(joined: str, shape_x: tuple[int, ...],
                  shape_y: tuple[int, ...], path: str) -> None:
  """DataError unless two image shapes fit together as `joined` says."""
  if not joined:
    return
  axis = 0 if joined == 'beside' else 1  # the extent the halves share
  fits = (len(shape_x) == len(shape_y) >= 2 and shape_x[axis] == shape_y[axis]
          and shape_x[2:] == shape_y[2:])
  if not fits:
    shared = 'height' if joined == 'beside' else 'width'
    raise data.DataError(
        f'{path}: data.joined={joined!r} needs two images of one {shared} '
        f'(and channels); x has examples of shape {shape_x}, y of {shape_y}')
