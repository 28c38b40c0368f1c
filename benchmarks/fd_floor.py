"""How stable the per-condition FD's floor is in each choice of features
(experiments.judging.per_condition): the floor, FD(S real examples of a class,
the class's reference half), over many random half-splits of the real test
examples of the embedded Add-1 MNIST's y side, in

  classifier-256   the judging classifier's penultimate features (the metric's)
  classifier-pca16 the same, projected onto 16 principal components
  ae-16            the feature autoencoder's 16-number codes (`ae_`)

and, for contrast, a model that draws one image per condition (S copies of
one real example of the class). Prints mean ± std over the splits of the
class-averaged floor and of the one-image score, and their ratio.

  python -m benchmarks.fd_floor [--splits=20] [--per_class=40]
"""

from absl import app
from absl import flags
import numpy as np

from configs import synthetic
from experiments import cache, sources
from experiments.judging import judges, metrics, per_condition
from experiments.judging.frechet import frechet_distance

SPLITS = flags.DEFINE_integer('splits', 20, 'random half-splits per class')
PER_CLASS = flags.DEFINE_integer(
    'per_class', 0, 'real examples of each class used (a fixed subsample; a '
    'validation split has fewer than the test set); 0: all')


def scores(feats: np.ndarray, labels: np.ndarray, num_classes: int,
           seed: int) -> tuple[float, float]:
  """(class-mean floor, class-mean FD of one repeated real image), one split."""
  halves = per_condition.class_halves(labels, num_classes, seed)
  num = min(per_condition.PER_CONDITION_SAMPLES,
            min(len(first) for first, _ in halves))
  floor, single = [], []
  for first, second in halves:
    floor.append(frechet_distance(feats[first[:num]], feats[second]))
    single.append(frechet_distance(np.repeat(feats[first[:1]], num, 0),
                                   feats[second]))
  return float(np.mean(floor)), float(np.mean(single))


def principal_components(feats: np.ndarray, dims: int) -> np.ndarray:
  """[N, F] -> [N, dims]: centred, onto the leading principal directions."""
  centred = feats - feats.mean(0)
  _, _, vt = np.linalg.svd(centred, full_matrices=False)
  return centred @ vt[:dims].T


def main(argv):
  del argv
  config = synthetic.get_config()
  paired = sources.load(config.data)
  run_judges = judges.load_or_train(
      paired, cache.judge_directory(''), config.data.seed,
      config.eval.classifier_steps, config.eval.autoencoder_steps)
  pairs = paired.test.pairs()
  rows = metrics.unique_rows(pairs, 'y')
  if PER_CLASS.value:
    rows = np.concatenate([rows[pairs.label_y[rows] == label][:PER_CLASS.value]
                           for label in range(paired.num_classes)])
  images, labels = pairs.y[rows], pairs.label_y[rows]
  classifier = run_judges.readings['y'][''](images)
  readings = {
      'classifier-256': classifier,
      'classifier-pca16': principal_components(classifier, 16),
      'ae-16': run_judges.readings['y']['ae_'](images),
  }
  print(f'{len(images)} real test y, {np.bincount(labels).min()}-'
        f'{np.bincount(labels).max()} per class; {SPLITS.value} splits')
  print('| features | floor | one image per condition | ratio |')
  print('|---|---|---|---|')
  for name, feats in readings.items():
    values = np.array([scores(feats, labels, paired.num_classes, seed)
                       for seed in range(SPLITS.value)])
    floor, single = values[:, 0], values[:, 1]
    print(f'| {name} | {floor.mean():.3f} ± {floor.std():.3f} '
          f'(cv {floor.std() / floor.mean():.3f}) | {single.mean():.3f} ± '
          f'{single.std():.3f} | {np.mean(single / floor):.1f} |')


if __name__ == '__main__':
  app.run(main)
