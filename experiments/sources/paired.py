"""Your own paired arrays, from one .npz file (`data.path`).

Keys: x_train, y_train, x_test, y_test (first axis the pairs, any shape after
it, any real values; the two splits of one side share that shape) and,
optionally, label_train and label_test (one integer >= 0 per pair: the class
both sides share). With labels the label metrics are computed (label rule
'same'); without, a run reports losses, rates, reconstructions and samples.

The file is data, never code: it is read with allow_pickle=False, so an
object array is refused rather than unpickled. A file with a missing or
misshapen key, pair counts that differ, a non-finite value or a non-numeric
type is refused in one line naming the key, before anything is written.
Each side is its own domain ('x', 'y'); a side whose values all lie in
[0, 1] gets sigmoid decoder outputs, any other linear ones.
"""

import os

import numpy as np

from experiments import data

FIELDS = {
    'path': '',  # the .npz file
    'seed': 0,  # the judges' training seed (the pairs are the file's)
}
TRAINING_FIELDS = ('path',)
REQUIRED = ('x_train', 'y_train', 'x_test', 'y_test')
LABELS = ('label_train', 'label_test')


def check(data_config) -> None:
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
  if array.dtype.kind == 'f' and not np.all(np.isfinite(array)):
    raise data.DataError(f'{path}: {key} holds NaN or infinite values')
  return array


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
  with archive:
    if not hasattr(archive, 'files'):
      raise data.DataError(f'data.path={path!r} holds one array, not an .npz '
                           f'file with {", ".join(REQUIRED)}')
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
    key = f'label_{split}'
    if key in arrays and (arrays[key].ndim != 1 or arrays[key].dtype.kind
                          not in 'iu' or arrays[key].min() < 0):
      raise data.DataError(f'{path}: {key} has shape {arrays[key].shape} and '
                           f'dtype {arrays[key].dtype}; use one integer >= 0 '
                           'per pair')
  return arrays


def _side(name: str, train: np.ndarray, test: np.ndarray) -> data.Side:
  bounded = bool(min(train.min(), test.min()) >= 0
                 and max(train.max(), test.max()) <= 1)
  return data.Side(tuple(int(s) for s in train.shape[1:]), name, bounded)


def load(data_config) -> data.PairedData:
  arrays = read(data_config.path)
  labelled = 'label_train' in arrays
  num_classes = (int(max(arrays['label_train'].max(),
                         arrays['label_test'].max())) + 1 if labelled else 0)

  def split(name):
    x = arrays[f'x_{name}'].astype(np.float32)
    y = arrays[f'y_{name}'].astype(np.float32)
    labels = arrays[f'label_{name}'].astype(np.int32) if labelled else None
    index = np.arange(len(x), dtype=np.int32)
    return data.Split(x, y, labels, labels, index, index)

  return data.PairedData(
      _side('x', arrays['x_train'], arrays['x_test']),
      _side('y', arrays['y_train'], arrays['y_test']),
      split('train'), split('test'), num_classes, 'same')
