"""The per-condition Fréchet distance of conditional generation
(docs/running.md, "Label metrics"; the authors' later evaluation).

For each condition (R references of every target class), S samples of the
other side are drawn; their features are compared, by the Fréchet distance,
with those of real examples of the target class; the distances are averaged
over the conditions:

  fd_per_condition_y_given_x = mean over references x_r of
                               FD(features of S samples of p(y|x_r),
                                  features of real y of class label(y_r))

Unlike the pooled FD (one sample per condition, all conditions together), it
cannot be met by a model that draws one image per condition: S identical
samples have zero covariance, and the distance keeps the trace of the real
class's covariance. Its floor, `fd_per_condition_floor_<side>`, is the same
computation with S real examples of the class in place of the samples.

Set sizes (FD is biased upwards for finite sets, so only equal sizes are
comparable): the real examples of each class on the generated side (each
example once) are split into two fixed halves; the second half is the
reference set of every comparison, S real examples of the first half the
floor's stand-in for the samples, and S = min(PER_CONDITION_SAMPLES, the
smallest first half).

Features: each reading's own (the classifier's 256 penultimate features;
the feature autoencoder's 16-number codes, `ae_`). With 50 real examples
per class half a 256-feature covariance is rank-deficient, yet the floor's
spread over random half-splits is as small as in 16 features (coefficient of
variation 0.067 against 0.063 for the autoencoder's codes, and 0.092 for the
classifier's features projected onto 16 principal components: measured by
`python -m benchmarks.fd_floor`, docs/running.md), so no projection is made.
"""

import numpy as np

from experiments.judging.frechet import frechet_distance

PER_CONDITION_SAMPLES = 50  # S, at most (fewer if a class half is smaller)
REFERENCES_PER_CLASS = 10  # R conditions of each target class


def class_halves(labels: np.ndarray, num_classes: int, seed: int = 0
                 ) -> list[tuple[np.ndarray, np.ndarray]]:
  """Per class, two disjoint index sets into `labels` (a fixed permutation
  of the class's examples, split in the middle; the first the smaller)."""
  rng = np.random.default_rng(seed)
  out = []
  for label in range(num_classes):
    index = rng.permutation(np.flatnonzero(labels == label))
    half = len(index) // 2
    out.append((index[:half], index[half:]))
  return out


def samples_per_condition(labels: np.ndarray, num_classes: int) -> int:
  """S for real examples of `labels`: 0 when a class has too few (< 4) for
  two halves of at least 2 (no covariance from fewer)."""
  smallest = min(len(first) for first, _ in class_halves(labels, num_classes))
  return 0 if smallest < 2 else min(PER_CONDITION_SAMPLES, smallest)


def condition_rows(target_labels: np.ndarray, given_ids: np.ndarray,
                   num_classes: int, per_class: int = REFERENCES_PER_CLASS,
                   seed: int = 0) -> np.ndarray:
  """Rows of pairs to condition on: per target class, up to `per_class`
  pairs with distinct given examples (a fixed draw), grouped by class."""
  rng = np.random.default_rng(seed)
  rows = []
  for label in range(num_classes):
    index = rng.permutation(np.flatnonzero(target_labels == label))
    _, first = np.unique(given_ids[index], return_index=True)
    rows.append(np.sort(index[np.sort(first)][:per_class]))
  return np.concatenate(rows).astype(np.int64)


def fd_per_condition(sample_feats: np.ndarray, target_labels: np.ndarray,
                     real_feats: np.ndarray, real_labels: np.ndarray,
                     num_classes: int) -> tuple[float, float]:
  """The per-condition FD and its floor, in one reading.

  Args:
    sample_feats: [G, S, F] features of S samples for each of G conditions
      (S = `samples_per_condition(real_labels, num_classes)`).
    target_labels: [G] the class each condition's samples should have.
    real_feats: [N, F] features of the real examples of the generated side
      (each once); real_labels: [N].

  Returns:
    (mean over conditions of FD(samples, the class's reference half), mean
    over the same conditions of FD(S real examples of the class's other
    half, the reference half)): the floor weighs classes as the conditions do.
  """
  if sample_feats.ndim != 3 or len(sample_feats) != len(target_labels):
    raise ValueError(f'sample_feats must be [G, S, F] with G = '
                     f'{len(target_labels)} conditions, got shape '
                     f'{sample_feats.shape}')
  num = sample_feats.shape[1]
  halves = class_halves(real_labels, num_classes)
  if min(len(first) for first, _ in halves) < num:
    raise ValueError(f'{num} samples per condition, but a class half has '
                     'fewer real examples; use samples_per_condition')
  floors = [frechet_distance(real_feats[first[:num]], real_feats[second])
            for first, second in halves]
  distances = [frechet_distance(feats, real_feats[halves[label][1]])
               for feats, label in zip(sample_feats, target_labels)]
  return (float(np.mean(distances)),
          float(np.mean([floors[label] for label in target_labels])))
