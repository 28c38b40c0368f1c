"""The per-condition Fréchet distance (experiments.judging.per_condition): a model
that draws one image per condition scores far above the floor, real
examples of the right class give the floor, a wrong class scores worse."""

import numpy as np
import pytest

from experiments.judging import per_condition

CLASSES, PER_CLASS, DIM = 5, 100, 24


def _real(seed=0):
  """[N, DIM] features: a Gaussian cluster per class, [N] labels."""
  rng = np.random.default_rng(seed)
  centres = rng.normal(scale=3.0, size=(CLASSES, DIM))
  labels = np.repeat(np.arange(CLASSES), PER_CLASS)
  feats = centres[labels] + rng.normal(size=(len(labels), DIM))
  return feats, labels, centres


def _conditions(feats, labels, draw, per_class=4):
  """[G, S, DIM] from draw(label, S) for `per_class` conditions per class."""
  num = per_condition.samples_per_condition(labels, CLASSES)
  targets = np.repeat(np.arange(CLASSES), per_class)
  return np.stack([draw(label, num) for label in targets]), targets


def test_real_examples_of_the_class_give_the_floor():
  feats, labels, _ = _real()
  halves = per_condition.class_halves(labels, CLASSES)
  # The floor's own stand-in: S real examples of the first half of the class.
  samples, targets = _conditions(
      feats, labels, lambda c, s: feats[halves[c][0][:s]])
  fd, floor = per_condition.fd_per_condition(samples, targets, feats, labels,
                                             CLASSES)
  assert fd == pytest.approx(floor, rel=1e-9)


def test_fresh_draws_of_the_class_stay_near_the_floor():
  feats, labels, centres = _real()
  rng = np.random.default_rng(1)
  samples, targets = _conditions(
      feats, labels, lambda c, s: centres[c] + rng.normal(size=(s, DIM)))
  fd, floor = per_condition.fd_per_condition(samples, targets, feats, labels,
                                             CLASSES)
  assert abs(fd - floor) < 0.35 * floor


def test_one_image_per_condition_scores_far_above_the_floor():
  feats, labels, centres = _real()
  rng = np.random.default_rng(2)
  # Each condition's samples are one right-class example repeated: the
  # pooled FD of such samples is near the floor, this one is not.
  samples, targets = _conditions(
      feats, labels,
      lambda c, s: np.repeat(centres[c][None] + rng.normal(size=(1, DIM)), s, 0))
  fd, floor = per_condition.fd_per_condition(samples, targets, feats, labels,
                                             CLASSES)
  assert fd > 3 * floor


def test_a_wrong_class_scores_worse_than_the_right_one():
  feats, labels, _ = _real()
  halves = per_condition.class_halves(labels, CLASSES)
  right, targets = _conditions(feats, labels,
                               lambda c, s: feats[halves[c][0][:s]])
  wrong, _ = _conditions(
      feats, labels, lambda c, s: feats[halves[(c + 1) % CLASSES][0][:s]])
  fd_right, _ = per_condition.fd_per_condition(right, targets, feats, labels,
                                               CLASSES)
  fd_wrong, _ = per_condition.fd_per_condition(wrong, targets, feats, labels,
                                               CLASSES)
  assert fd_wrong > 5 * fd_right


def test_condition_rows_have_distinct_given_examples_per_class():
  labels = np.repeat(np.arange(3), 20)
  given = np.arange(60) % 7  # many pairs share a given example
  rows = per_condition.condition_rows(labels, given, 3, per_class=5)
  for label in range(3):
    chosen = rows[labels[rows] == label]
    assert len(np.unique(given[chosen])) == len(chosen) == 5


def test_too_few_real_examples_give_no_samples():
  assert per_condition.samples_per_condition(np.array([0, 0, 0, 1, 1, 1, 1]),
                                             2) == 0
  with pytest.raises(ValueError, match='G = 2'):
    per_condition.fd_per_condition(np.zeros((3, 2, 4)), np.array([0, 1]),
                                   np.zeros((8, 4)), np.array([0, 1] * 4), 2)
