"""Paired data as data: two sides, each its own shape, and the pairs as indices.

A data source (a module of `experiments.sources`, chosen by
`config.data.source`; `experiments.sources.load`) returns `PairedData`:

  x, y          a `Side` each: the shape of one example ((28, 28, 1),
                (32, 32, 3), (D,), ...), the domain it comes from (sides of
                one domain share the judges and the wrapper's autoencoder),
                whether its values lie in [0, 1] and whether the digit
                morphometrics apply.
  train, test   a `Split` each: every side's examples once, as one table
                ([N, *shape], uint8 where the source is 8-bit), and the pairs
                as two index arrays into them. Memory grows with the
                examples, not with the pairs: a source that pairs each image
                with k others stores k index rows, not k images.
  label_rule    how a pair's two labels relate ('same', 'add1'), when the
                source has labels; num_classes 0 when it has none.

The train step gathers each batch from the tables inside the jitted program
(`wyner_jax.train.PairTables`); evaluation reads materialised `PairSet`s of
float32 rows.
"""

from typing import NamedTuple
import zlib

import numpy as np

from wyner_jax.errors import WynerError
from wyner_jax.sides import Side, domains

# label_y as a function of label_x, per rule.
LABEL_RULES = ('same', 'add1')


class DataError(WynerError, ValueError):
  """The requested data cannot be had or is malformed; the message says which and what to do."""


class PairSet(NamedTuple):
  """Materialised pairs, one float32 row per example (evaluation, figures)."""
  x: np.ndarray  # [P, Dx] float32
  y: np.ndarray  # [P, Dy] float32
  label_x: np.ndarray | None  # [P] int32, or None without labels
  label_y: np.ndarray | None  # [P] int32
  id_x: np.ndarray  # [P] row of each x in its split's table
  id_y: np.ndarray  # [P]


def as_float(images: np.ndarray) -> np.ndarray:
  """[N, *shape] -> [N, D] float32 rows; uint8 (8-bit) values are scaled to [0, 1]."""
  flat = images.reshape(len(images), -1)
  if flat.dtype == np.uint8:
    return flat.astype(np.float32) / 255.0
  return flat.astype(np.float32)


class Split(NamedTuple):
  """One split: each side's examples as a table, the pairs as indices into them."""
  images_x: np.ndarray  # [Nx, *x.shape] uint8 or float32
  images_y: np.ndarray  # [Ny, *y.shape]; may be the same array as images_x
  labels_x: np.ndarray | None  # [Nx] int32 class of each x example
  labels_y: np.ndarray | None  # [Ny]
  index_x: np.ndarray  # [P] int32 row in images_x of each pair's x
  index_y: np.ndarray  # [P] int32 row in images_y of each pair's y

  @property
  def num_pairs(self) -> int:
    return len(self.index_x)

  def pairs(self, rows: np.ndarray | None = None) -> PairSet:
    """The pairs (all, or those of `rows`) as float32 rows."""
    index_x = self.index_x if rows is None else self.index_x[rows]
    index_y = self.index_y if rows is None else self.index_y[rows]
    label = lambda labels, index: None if labels is None else labels[index]
    return PairSet(as_float(self.images_x[index_x]),
                   as_float(self.images_y[index_y]),
                   label(self.labels_x, index_x), label(self.labels_y, index_y),
                   index_x, index_y)

  def total_variances(self, chunk: int = 4096) -> tuple[float, float]:
    """(x's, y's) total variance over the pairs: the sum, over a side's
    values, of each value's variance (as float, `as_float`), each example
    counted as often as the pairs use it; what reconstructing a side by its
    mean costs in squared error. Table by table in chunks: the pairs are
    never materialised."""
    return (_total_variance(self.images_x, self.index_x, chunk),
            _total_variance(self.images_y, self.index_y, chunk))

  def table_bytes(self) -> int:
    """Bytes of the tables and index arrays (what a run places on each device)."""
    shared = self.images_y is self.images_x
    return (self.images_x.nbytes + (0 if shared else self.images_y.nbytes)
            + self.index_x.nbytes + self.index_y.nbytes)


def _total_variance(table: np.ndarray, index: np.ndarray, chunk: int) -> float:
  """Split.total_variances of one side: its table's rows weighted by use."""
  uses = np.bincount(index, minlength=len(table)).astype(np.float64)
  # Centred on the first pair's example first, so that values far from 0
  # keep their precision in the sums of squares.
  origin = as_float(table[index[:1]])[0].astype(np.float64)
  first = np.zeros_like(origin)
  second = np.zeros_like(origin)
  for start in range(0, len(table), chunk):
    rows = as_float(table[start:start + chunk]).astype(np.float64) - origin
    weights = uses[start:start + chunk, None]
    first += (weights * rows).sum(0)
    second += (weights * rows * rows).sum(0)
  mean = first / len(index)
  return float(np.sum(second / len(index) - mean * mean))


class PairedData(NamedTuple):
  """What a data source returns."""
  x: Side
  y: Side
  train: Split
  test: Split
  num_classes: int  # 0: no labels (the label metrics are skipped)
  label_rule: str  # 'same' or 'add1' (label_y = label_x + 1 mod num_classes)
  # Pairs carved from the training pairs for model selection
  # (`carve_validation`); None: no validation split.
  validation: Split | None = None
  # The sides are two halves of one image, x left of y ('beside') or above
  # it ('above'): the figures show each pair joined; '': apart.
  joined: str = ''

  @property
  def has_labels(self) -> bool:
    return self.num_classes > 0

  def digest(self) -> str:
    """Eight hex digits of a checksum of every table, index and label: names
    the data themselves (an .npz changed under the same path gets another)."""
    value = 0
    for split in (self.train, self.test, self.validation):
      for array in split or ():
        if array is not None:
          value = zlib.crc32(np.ascontiguousarray(array).data, value)
    return f'{value:08x}'

  def side(self, name: str) -> Side:
    return {'x': self.x, 'y': self.y}[name]

  def domains(self) -> dict[str, tuple[str, ...]]:
    """{domain: the sides ('x', 'y') that come from it}, in the order x, y."""
    return domains(self.x, self.y)

  def domain_images(self, split: Split, domain: str
                    ) -> tuple[np.ndarray, np.ndarray | None]:
    """([N, D] float32 rows, [N] labels or None) of every example of `domain`
    in `split` (a table both sides share counts once)."""
    sides = self.domains()[domain]
    tables = [(split.images_x, split.labels_x) if s == 'x' else
              (split.images_y, split.labels_y) for s in sides]
    if len(tables) == 2 and tables[1][0] is tables[0][0]:
      tables = tables[:1]
    images = np.concatenate([as_float(t) for t, _ in tables])
    if any(labels is None for _, labels in tables):
      return images, None
    return images, np.concatenate([labels for _, labels in tables])


def _subtable(images: np.ndarray, labels: np.ndarray | None,
              rows: np.ndarray) -> tuple[np.ndarray, np.ndarray | None,
                                         np.ndarray]:
  """(images[rows], labels[rows], a map from old row to new row, -1 elsewhere)."""
  remap = np.full(len(images), -1, np.int64)
  remap[rows] = np.arange(len(rows))
  return images[rows], None if labels is None else labels[rows], remap


def _restrict(split: Split, pairs: np.ndarray, rows_x: np.ndarray,
              rows_y: np.ndarray) -> Split:
  """The pairs `pairs` of `split` on tables of only the examples rows_x,
  rows_y (each holding every example those pairs use)."""
  images_x, labels_x, remap_x = _subtable(split.images_x, split.labels_x, rows_x)
  if split.images_y is split.images_x:
    images_y, labels_y, remap_y = images_x, labels_x, remap_x
  else:
    images_y, labels_y, remap_y = _subtable(split.images_y, split.labels_y,
                                            rows_y)
  return Split(images_x, images_y, labels_x, labels_y,
               remap_x[split.index_x[pairs]].astype(np.int32),
               remap_y[split.index_y[pairs]].astype(np.int32))


def carve_validation(split: Split, fraction: float, seed: int
                     ) -> tuple[Split, Split]:
  """(train, validation): a `fraction` of the pairs of `split` (a function of
  `seed` alone, so the same for every model seed and kind) and the pairs
  that share no example with them.

  The two share no example: a train pair that uses an example of a
  validation pair is dropped (Add-1 pairs use each image twice, as an x and
  as a y, so a fraction f moves f of the pairs to validation and drops about
  2f(1 - f) more). Each split's tables hold only its own examples.

  Raises:
    DataError: a fraction outside (0, 1), or too few pairs for both splits.
  """
  if not 0.0 < fraction < 1.0:
    raise DataError(f'data.validation_fraction={fraction!r} is not allowed; '
                    'use a number in (0, 1), or 0 for no validation split')
  count = int(round(fraction * split.num_pairs))
  order = np.random.default_rng(seed).permutation(split.num_pairs)
  chosen = np.sort(order[:count])
  shared = split.images_y is split.images_x
  held_x = np.zeros(len(split.images_x), bool)
  held_x[split.index_x[chosen]] = True
  held_y = held_x if shared else np.zeros(len(split.images_y), bool)
  held_y[split.index_y[chosen]] = True
  train = np.flatnonzero(~held_x[split.index_x] & ~held_y[split.index_y])
  if count == 0 or len(train) == 0:
    raise DataError(f'data.validation_fraction={fraction} of {split.num_pairs} '
                    f'train pairs leaves {count} validation and {len(train)} '
                    'train pairs; both need at least one')
  return (_restrict(split, train, np.flatnonzero(~held_x),
                    np.flatnonzero(~held_y)),
          _restrict(split, chosen, np.flatnonzero(held_x),
                    np.flatnonzero(held_y)))


def with_validation(paired: PairedData, fraction: float,
                    seed: int) -> PairedData:
  """`paired` with a validation split carved from its train pairs
  (`carve_validation`); unchanged for fraction 0."""
  if not fraction:
    return paired
  train, validation = carve_validation(paired.train, fraction, seed)
  return paired._replace(train=train, validation=validation)


def in_chunks(fn, rows: np.ndarray, chunk: int = 4096) -> np.ndarray:
  """fn (a jitted function of [B, ...] -> [B, ...]) over `rows` in chunks of
  at most `chunk`, as one numpy array: bounds the memory of big sets."""
  parts = [np.asarray(fn(rows[i:i + chunk])) for i in range(0, len(rows), chunk)]
  return np.concatenate(parts)


def apply_rule(rule: str, labels: np.ndarray, num_classes: int) -> np.ndarray:
  """label_y of pairs whose x has `labels`, under `rule`."""
  if rule == 'same':
    return labels
  if rule == 'add1':
    return (labels + 1) % num_classes
  raise DataError(f'label rule {rule!r} is unknown; allowed: {", ".join(LABEL_RULES)}')


def rule_pairs(labels_x: np.ndarray, labels_y: np.ndarray, rule: str,
               num_classes: int, per_class: int, rng: np.random.Generator,
               repeats: int = 1) -> tuple[np.ndarray, np.ndarray]:
  """Pairs by label: for each class l, x examples of class l with y examples
  of class rule(l), both lists permuted independently (a function of `rng`)
  and paired position by position, `per_class` pairs per class and
  repetition; `repeats` fresh permutations (MMVAE pairs each image k times).

  Returns:
    index_x, index_y: [num_classes * per_class * repeats] int32, grouped by
    label(x) (within a class, repetition by repetition).

  Raises:
    DataError: more pairs per class than the rarest class allows.
  """
  check_pairs_per_class(per_class, max_pairs_per_class(
      labels_x, labels_y, rule, num_classes))
  index_x, index_y = [], []
  for label in range(num_classes):
    pool_x = np.flatnonzero(labels_x == label)
    pool_y = np.flatnonzero(labels_y == apply_rule(rule, np.array(label),
                                                   num_classes))
    for _ in range(repeats):
      index_x.append(rng.permutation(pool_x)[:per_class])
      index_y.append(rng.permutation(pool_y)[:per_class])
  return (np.concatenate(index_x).astype(np.int32),
          np.concatenate(index_y).astype(np.int32))


def max_pairs_per_class(labels_x: np.ndarray, labels_y: np.ndarray, rule: str,
                        num_classes: int) -> int:
  """The most pairs per class `rule_pairs` can draw (the rarest class of either side)."""
  counts_x = np.bincount(labels_x, minlength=num_classes)[:num_classes]
  counts_y = np.bincount(labels_y, minlength=num_classes)[:num_classes]
  counts_y = counts_y[apply_rule(rule, np.arange(num_classes), num_classes)]
  return int(min(counts_x.min(), counts_y.min()))


def check_pairs_per_class(pairs_per_class: int, available: int) -> None:
  if not 0 < pairs_per_class <= available:
    raise DataError(f'data.pairs_per_class={pairs_per_class} is not allowed: '
                    f'these images give at most {available} pairs per class '
                    f'(the rarest class has {available} images); use 1 .. '
                    f'{available}')
