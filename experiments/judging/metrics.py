"""What the latents carry, measured with each side's judge (docs/running.md, "Label metrics").

The model is right only when Z carries the label (what X and Y share) and U, V
carry style. Accuracies are fractions of generated examples whose label, as
the judging classifier of their side predicts it, is the one the method
intends (chance 1 / number of classes); read them against the classifiers'
own test accuracy, `classifier/test_accuracy` (per domain,
`classifier/test_accuracy_<domain>`, when the sides differ). label(y) follows
label(x) by the data's rule (Add-1: label(x) + 1 mod 10; MNIST-SVHN, your
own arrays: the same label). Without labels only the rates are measured.

  accuracy_joint_reconstruction  y(v,z), z ~ q(z|x,y), v ~ q(v|x,y)  vs label(y)
  accuracy_z_encoded_v_random    y(v,z), z ~ q(z|x,y), v ~ p(v)      vs label(y)  (high)
  accuracy_z_random_v_encoded    y(v,z), z ~ p(z),     v ~ q(v|x,y)  vs label(y)  (~chance)
  accuracy_y_given_x             y ~ p(y|x), z ~ q(z|x) (step 2)     vs label(y)
                                 (the field's cross coherence X -> Y, e.g. MNIST -> SVHN)
  accuracy_x_given_y             x ~ p(x|y), z ~ q(z|y)              vs label(x)
                                 (cross coherence Y -> X)
  style_transfer_accuracy        x(u0, z), u0 ~ q(u|x0) of another pair, z ~ q(z|y)
                                                                     vs label(x)
  joint_coherence                (x, y) ~ p: the judges' labels follow the rule
  joint_label_entropy            entropy (nats) of the judged labels of those x:
                                 log K when every class is drawn equally, 0 when
                                 one is; coherence rewards collapse (samples all
                                 of one class cohere), so read the two together
  latent_probe_accuracy          logistic regression from z ~ q(z|x) (one-hot) to
                                 label(x), fitted on train pairs, scored on test pairs
  rate_z, rate_u, rate_v         E[KL(q(.|x,y) || p)] in nats on test pairs (rate_z
                                 bounds I(X,Y;Z)); rate_*_max = N log K
                                 (categorical latents only)
  code_entropy_z, _u, _v         entropy in nats of the most likely code of
                                 q(.|x,y) (all N categoricals together) over the
                                 test pairs: how much the latent tells pairs
                                 apart. A rate at its maximum with code entropy
                                 0 is a posterior that gives every pair the
                                 same one-hot: the latent carries nothing
                                 (categorical latents only)

Variability: S samples are generated for each condition; their diversity is
the mean pairwise Euclidean distance of their classifier features (penultimate
layer), divided by the mean pairwise feature distance of the real test
examples of the target class on the generated side (each example once), then
averaged over conditions. 1.0: as varied as real examples of that class; 0:
all samples identical.

  variability_y_given_x         z ~ q(z|x) and v ~ p(v) both sampled (all of p(y|x))
  style_variability_y_given_x   z at the mode of q(z|x), only v sampled: is V used?
  (and the x_given_y pair)
  style_transfer_variability    one concept y (z at the mode of q(z|y)), S different
                                style references x0: does the output follow the
                                style reference? (Above 1 when it copies the
                                reference digit and ignores the concept.)

Style-transfer fidelity, when X is gray 28 x 28 digits: slant and stroke
thickness (Morpho-MNIST, `experiments.judging.morphometry`) of each style-transfer
output (z at the mode of q(z|y)) against its style reference x0, as the
Pearson correlation over MORPHOMETRY_CELLS (style, concept) cells of the test
grid (1: the output has exactly the reference's slant or thickness ordering;
0: it ignores them).

  style_transfer_slant_corr, style_transfer_thickness_corr

Sample fidelity: Fréchet distance (`experiments.judging.frechet`) between classifier
features of generated examples and of real test examples of the side
generated. Every set has FD_PER_CLASS examples of each intended label (joint
samples: classes x FD_PER_CLASS, their labels are the model's), so the values
are comparable with each other and with the floors (two disjoint halves of
the real test examples of a side). Lower is closer to real data.

  fd_y_given_x, fd_x_given_y    one sample per condition (z and the local latent sampled)
  fd_joint_x, fd_joint_y        joint samples from the priors
  fd_real, fd_real_x            real y (x) examples against other real ones
  fd_per_condition_y_given_x    S samples per condition against the real
  (and _x_given_y)              examples of its target class, averaged over
                                10 conditions per class; floors
                                fd_per_condition_floor_y, _x
                                (`experiments.judging.per_condition`)

A second reading, in an autoencoder's features (`experiments.judging.feature_autoencoder`:
its 16-number codes, which keep style that the classifier's features drop):
every variability and FD above again, prefixed `ae_` (`eval/ae_fd_y_given_x`,
`eval/ae_style_variability_y_given_x`, ...), when both sides are images and
eval.autoencoder_steps > 0.

Every model kind (`config.model.kind`) is measured by the same code through
its sampling surface (`wyner_jax.baselines.base`); a metric a model cannot
have is absent, not zero: joint coherence and the joint FDs need joint
generation ('joint' in its CAN), style transfer and the style_
variabilities a private latent ('transfer', 'style'), the probe a common
latent given x ('probe'); the three accuracy_*_reconstruction / _encoded
carriers and the code entropies are the Wyner VAE's (its joint encoders of
z, u, v). Rates are the model's own (`rates`): the Wyner VAE's and
JMVAE's of q(.|x,y), MVAE's of the product of experts, VCCA-private's of
q(z|x), q(u|x), q(v|y); none for CVAE and MMVAE.

Every measurement draws its own key, folded in by its name, so adding one
never changes another's randomness.
"""

import hashlib
import importlib
import threading
import zlib
from collections.abc import Callable

from absl import logging

import jax
import jax.numpy as jnp
import numpy as np

from experiments import data
from experiments.judging import morphometry
from experiments.judging import per_condition
from experiments.judging.frechet import frechet_distance
from experiments.judging.judges import Judges
from wyner_jax.model import Params

SAMPLES_PER_CONDITION = 4
JOINT_SAMPLES = 2000
MAX_REFERENCE_PER_CLASS = 300  # bounds the O(n^2) real-data distance statistic
# Style-transfer cells measured (the morphometry runs on the host): the
# correlation's standard error is below 0.02 at r = 0.7 with 1,000.
MORPHOMETRY_CELLS = 1000
FD_PER_CLASS = 50  # examples per label in every Fréchet-distance set (fewer if the test set has fewer)


def evaluation_bytes(paired: data.PairedData) -> int:
  """About the most memory the evaluation of one model holds at once, in
  bytes: the larger of its sample sets, as float32 (conditional samples of
  every test pair, the per-condition sets, the joint samples), with the
  data's own float32 rows beside them."""
  dims = {'x': int(np.prod(paired.x.shape)), 'y': int(np.prod(paired.y.shape))}
  pairs = paired.test.num_pairs
  conditions = per_condition.REFERENCES_PER_CLASS * max(paired.num_classes, 1)
  sets = [pairs * SAMPLES_PER_CONDITION * max(dims.values()),
          conditions * per_condition.PER_CONDITION_SAMPLES * max(dims.values()),
          JOINT_SAMPLES * (dims['x'] + dims['y'])]
  data_rows = (paired.train.num_pairs + pairs) * (dims['x'] + dims['y'])
  return 4 * (max(sets) + data_rows)


def named_key(rng: jax.Array, name: str) -> jax.Array:
  """The key of one measurement, a function of `rng` and its name alone."""
  return jax.random.fold_in(rng, zlib.crc32(name.encode()))


def mean_pairwise_distance(feats: np.ndarray) -> np.ndarray:
  """[G, S, F] -> [G]: mean Euclidean distance over the S(S-1)/2 pairs of each group."""
  num = feats.shape[1]
  dist = np.linalg.norm(feats[:, :, None] - feats[:, None], axis=-1)
  return dist.sum((1, 2)) / (num * (num - 1))


def class_reference_distances(feats: np.ndarray, labels: np.ndarray,
                              num_classes: int, seed: int = 0) -> np.ndarray:
  """[num_classes]: mean pairwise feature distance of real examples of each
  class (at most MAX_REFERENCE_PER_CLASS per class, a fixed subsample)."""
  rng = np.random.default_rng(seed)
  out = np.zeros(num_classes)
  for label in range(num_classes):
    index = np.flatnonzero(labels == label)
    index = rng.permutation(index)[:MAX_REFERENCE_PER_CLASS]
    out[label] = mean_pairwise_distance(feats[None, index])[0]
  return out


def variability(sample_feats: np.ndarray, target_labels: np.ndarray,
                reference: np.ndarray) -> float:
  """Mean over conditions of diversity / real-data diversity of the target class.

  Args:
    sample_feats: [B, S, F] features of S samples for each of B conditions.
    target_labels: [B] the class each condition's samples should have.
    reference: [classes] from `class_reference_distances`.
  """
  return float(np.mean(mean_pairwise_distance(sample_feats)
                       / reference[target_labels]))


def unique_rows(pairs: data.PairSet, side: str) -> np.ndarray:
  """Index of the first test pair of each distinct example of one side (a
  test example may sit in several pairs: once as an x and once as a y in
  Add-1 MNIST, k times in MNIST-SVHN)."""
  _, first = np.unique(getattr(pairs, f'id_{side}'), return_index=True)
  return np.sort(first)


def label_metrics(model, params: Params, judges: Judges,
                  paired: data.PairedData, pairs: data.PairSet,
                  train_pairs: data.PairSet, rng: jax.Array,
                  progress: Callable[[str], None] = lambda part: None
                  ) -> dict[str, float]:
  """Every metric of the module docstring, on all test pairs.

  Args:
    params: all groups ('joint', 'decoders', 'marginal').
    judges: the run's classifiers and feature functions, per side.
    paired: the data (sides, label rule, number of classes).
    pairs: test pairs; train_pairs: only for fitting the latent probe.
    rng: the result is a deterministic function of it.
    progress: called with the name of each part as it starts (a launcher
      logs them: evaluation is otherwise seconds to minutes of silence).
  """
  progress('rates')
  out = rates(model, params, pairs)
  if not paired.has_labels:
    return out
  if 'probe' in model.CAN:
    _import_in_background('sklearn.linear_model')
  out.update(judges.test_accuracy)
  if 'carriers' in model.CAN:
    progress('what Z and V carry')
    out.update(latent_carriers(model, params, judges, pairs, rng))
  # Real test examples' features, each example once, per side and reading:
  # the variability references and the FD's real sets.
  real = {}
  for side in ('x', 'y'):
    rows = unique_rows(pairs, side)
    labels = getattr(pairs, f'label_{side}')[rows]
    real[side] = {reading: (f(getattr(pairs, side)[rows]), labels)
                  for reading, f in judges.readings[side].items()}
  reference = {side: {reading: class_reference_distances(
      feats, labels, paired.num_classes) for reading, (feats, labels) in
                      by_reading.items()} for side, by_reading in real.items()}
  generated = {}
  for direction, given, target in (('y_given_x', 'x', 'y'),
                                   ('x_given_y', 'y', 'x')):
    progress(f'conditional samples, {direction.replace("_", " ")}')
    values, generated[direction] = conditional_metrics(
        model, params, judges, pairs, direction, given, target,
        reference[target], named_key(rng, direction))
    out.update(values)
    out.update(per_condition_metrics(model, params, judges, pairs, direction,
                                     given, target, real[target],
                                     paired.num_classes,
                                     named_key(rng, 'per_condition_' + direction)))
  if 'transfer' in model.CAN:
    progress('style transfer' + (' and its morphometry' if paired.x.digits
                                 else ''))
    out.update(style_transfer_metrics(model, params, judges, paired, pairs,
                                      reference['x'], named_key(rng, 'style')))
  joint_x = joint_y = None
  if 'joint' in model.CAN:
    progress('joint samples')
    joint_x, joint_y = (np.asarray(a) for a in model.joint(
        params, named_key(rng, 'joint'), JOINT_SAMPLES))
    judged_x = judges.predict('x', joint_x)
    out['eval/joint_coherence'] = joint_coherence(
        judged_x, judges.predict('y', joint_y), paired.label_rule,
        paired.num_classes)
    out['eval/joint_label_entropy'] = label_entropy(judged_x,
                                                    paired.num_classes)
  progress('Fréchet distances')
  for reading in judges.readings['x'].keys() & judges.readings['y'].keys():
    joint = None if joint_x is None else {
        'x': judges.readings['x'][reading](joint_x),
        'y': judges.readings['y'][reading](joint_y)}
    fds = frechet_distances(
        {side: real[side][reading] for side in ('x', 'y')},
        {'y_given_x': (generated['y_given_x'][reading], pairs.label_y),
         'x_given_y': (generated['x_given_y'][reading], pairs.label_x)},
        joint, paired.num_classes)
    out.update({name.replace('eval/', f'eval/{reading}'): value
                for name, value in fds.items()})
  if 'probe' in model.CAN:
    progress('the latent probe')
    out['eval/latent_probe_accuracy'] = latent_probe_accuracy(
        model, params, train_pairs, pairs, named_key(rng, 'probe'))
  return out


def _import_in_background(module: str) -> None:
  """Starts importing `module` in a thread, so that it overlaps the
  device's work; an `import` of it later waits for it to finish (Python's
  import lock)."""
  threading.Thread(target=importlib.import_module, args=(module,),
                   daemon=True).start()


def joint_coherence(predicted_x: np.ndarray, predicted_y: np.ndarray,
                    rule: str, num_classes: int) -> float:
  """Fraction of pairs whose predicted labels [B] follow the data's rule."""
  return float(np.mean(data.apply_rule(rule, predicted_x, num_classes)
                       == predicted_y))


def label_entropy(predicted: np.ndarray, num_classes: int) -> float:
  """Entropy in nats of the distribution of labels [B] in 0 .. K-1."""
  frequency = np.bincount(predicted, minlength=num_classes) / len(predicted)
  frequency = frequency[frequency > 0]
  return float(-np.sum(frequency * np.log(frequency)))


def rates(model, params: Params, pairs: data.PairSet) -> dict[str, float]:
  """rate_z, _u, _v (nats) on the test pairs (the model's `rates`); for the
  Wyner VAE's categorical latents, their maxima and code entropies too."""
  x, y = jnp.asarray(pairs.x), jnp.asarray(pairs.y)
  out = {f'eval/rate_{name}': float(rate)
         for name, rate in model.rates(params, x, y).items()}
  if 'carriers' not in model.CAN:  # no joint posteriors of u and v
    return out
  posteriors = None
  for name, latent in (('z', model.latent_z), ('u', model.latent_u),
                       ('v', model.latent_v)):
    if latent.max_rate is not None:  # Gaussian rates are unbounded
      posteriors = posteriors or jax.jit(model.joint_posteriors)(params, x, y)
      out[f'eval/rate_{name}_max'] = latent.max_rate
      out[f'eval/code_entropy_{name}'] = code_entropy(
          np.asarray(posteriors[name]))
  return out


def latent_carriers(model, params: Params, judges: Judges,
                    pairs: data.PairSet, rng: jax.Array) -> dict[str, float]:
  """Whether Z carries the label: y decoded from z and v of the joint
  encoder or the prior, judged against label(y)."""
  out = {}
  for name, z_from_prior, v_from_prior in (
      ('accuracy_joint_reconstruction', False, False),
      ('accuracy_z_encoded_v_random', False, True),
      ('accuracy_z_random_v_encoded', True, False)):
    y_gen = model.carrier_samples(params, named_key(rng, name),
                                  jnp.asarray(pairs.x), jnp.asarray(pairs.y),
                                  z_from_prior, v_from_prior)
    out[f'eval/{name}'] = float(np.mean(
        judges.predict('y', np.asarray(y_gen)) == pairs.label_y))
  return out


def conditional_metrics(model, params, judges: Judges, pairs: data.PairSet,
                        direction: str, given: str, target: str,
                        reference: dict[str, np.ndarray], rng: jax.Array
                        ) -> tuple[dict[str, float], dict[str, np.ndarray]]:
  """Accuracy and variabilities of one direction of conditional generation.

  Returns:
    (metrics, {reading: [P, F] features of one sample per test pair}, for
    the Fréchet distances).
  """
  condition = getattr(pairs, given)
  labels = getattr(pairs, f'label_{target}')
  s, num = SAMPLES_PER_CONDITION, len(condition)
  out, first = {}, {}
  modes = (('', False), ('style_', True)) if 'style' in model.CAN else (
      ('', False),)
  for prefix, z_mode in modes:
    samples = np.asarray(model.conditional(params,
                                           named_key(rng, prefix + 'samples'),
                                           condition, given, s, z_mode=z_mode))
    samples = samples.reshape(num * s, -1)
    for reading, features in judges.readings[target].items():
      feats = features(samples).reshape(num, s, -1)
      out[f'eval/{reading}{prefix}variability_{direction}'] = variability(
          feats, labels, reference[reading])
      if not z_mode:
        first[reading] = feats[:, 0]  # one sample per condition
    if not z_mode:
      out[f'eval/accuracy_{direction}'] = float(np.mean(
          judges.predict(target, samples) == np.repeat(labels, s)))
  return out, first


def per_condition_metrics(model, params, judges: Judges, pairs: data.PairSet,
                          direction: str, given: str, target: str,
                          real: dict[str, tuple[np.ndarray, np.ndarray]],
                          num_classes: int, rng: jax.Array) -> dict[str, float]:
  """`eval/<reading>fd_per_condition_<direction>` and its floor
  `eval/<reading>fd_per_condition_floor_<target>`, in every reading
  (`experiments.judging.per_condition`); {} when a class has fewer than 4 real
  examples on the target side.

  Args:
    real: {reading: ([N, F] features of each distinct real example of the
      target side, [N] their labels)}.
  """
  labels = next(iter(real.values()))[1]
  num = per_condition.samples_per_condition(labels, num_classes)
  if not num:
    return {}
  target_labels = getattr(pairs, f'label_{target}')
  rows = per_condition.condition_rows(target_labels,
                                      getattr(pairs, f'id_{given}'), num_classes)
  condition = getattr(pairs, given)[rows]
  samples = np.asarray(model.conditional(params, rng, condition, given, num))
  samples = samples.reshape(len(rows) * num, -1)
  out = {}
  for reading, features in judges.readings[target].items():
    feats = features(samples).reshape(len(rows), num, -1)
    fd, floor = per_condition.fd_per_condition(
        feats, target_labels[rows], *real[reading], num_classes)
    out[f'eval/{reading}fd_per_condition_{direction}'] = fd
    out[f'eval/{reading}fd_per_condition_floor_{target}'] = floor
  return out


def style_transfer_metrics(model, params, judges: Judges,
                           paired: data.PairedData, pairs: data.PairSet,
                           reference: dict[str, np.ndarray], rng: jax.Array
                           ) -> dict[str, float]:
  """Concept y_j, style from the x of S other (shuffled) pairs: accuracy,
  variability and (gray digits) morphometry of the outputs."""
  s, num = SAMPLES_PER_CONDITION, len(pairs.x)
  order = np.random.default_rng(0).permutation(num)
  styles = np.stack([pairs.x[np.roll(order, k + 1)] for k in range(s)], 1)
  styles = styles.reshape(num * s, -1)
  concepts = jnp.asarray(np.repeat(pairs.y, s, axis=0))
  transferred = np.asarray(model.transfer(
      params, named_key(rng, 'sampled'), jnp.asarray(styles), concepts,
      grid=False))
  out = {'eval/style_transfer_accuracy': float(np.mean(
      judges.predict('x', transferred) == np.repeat(pairs.label_x, s)))}
  transferred = np.asarray(model.transfer(
      params, named_key(rng, 'mode'), jnp.asarray(styles), concepts,
      grid=False, z_mode=True))
  for reading, features in judges.readings['x'].items():
    out[f'eval/{reading}style_transfer_variability'] = variability(
        features(transferred).reshape(num, s, -1), pairs.label_x,
        reference[reading])
  if paired.x.digits:
    out.update(style_transfer_morphometry(styles, transferred))
  return out


def code_entropy(logits: np.ndarray) -> float:
  """Entropy in nats of the empirical distribution of the argmax codes of
  [B, N, K] logits (each row of N argmaxes is one code); 0 for no latent."""
  if logits.size == 0:
    return 0.0
  _, counts = np.unique(logits.argmax(-1), axis=0, return_counts=True)
  p = counts / counts.sum()
  return float(np.sum(p * np.log(1.0 / p)))  # log(1/p): no -0.0 for one code


def style_transfer_morphometry(styles: np.ndarray, outputs: np.ndarray
                               ) -> dict[str, float]:
  """Pearson correlations of slant and thickness of [C, 784] style-transfer
  outputs with those of their [C, 784] style references, over at most
  MORPHOMETRY_CELLS cells (a fixed subsample)."""
  cells = np.random.default_rng(0).permutation(len(styles))[:MORPHOMETRY_CELLS]
  slant_ref, thick_ref = _measured_references(styles[cells])
  slant_out, thick_out = morphometry.measure(outputs[cells])
  return {'eval/style_transfer_slant_corr': morphometry.pearson(slant_ref, slant_out),
          'eval/style_transfer_thickness_corr': morphometry.pearson(thick_ref,
                                                                    thick_out)}


# The style references' morphometry, by a digest of their bytes: every model
# of a run (its seeds, a sweep's settings) reads the same references, whose
# measurement is half a model's morphometry (about 1 s per 1,000 digits).
_REFERENCES: dict[str, tuple[np.ndarray, np.ndarray]] = {}
_REFERENCES_KEPT = 4  # the test and validation references of a few runs


def _measured_references(styles: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
  key = hashlib.sha256(np.ascontiguousarray(styles).tobytes()).hexdigest() + (
      f'{styles.shape}{styles.dtype}')
  if key not in _REFERENCES:
    if len(_REFERENCES) >= _REFERENCES_KEPT:
      del _REFERENCES[next(iter(_REFERENCES))]  # the oldest
    _REFERENCES[key] = morphometry.measure(styles)
  return _REFERENCES[key]


def stratified_halves(labels: np.ndarray, per_class: int, num_classes: int
                      ) -> tuple[np.ndarray, np.ndarray]:
  """Two disjoint index sets, each with the first / next `per_class` of every label."""
  first, second = [], []
  for label in range(num_classes):
    index = np.flatnonzero(labels == label)
    first.append(index[:per_class])
    second.append(index[per_class:2 * per_class])
  return np.concatenate(first), np.concatenate(second)


def frechet_distances(real: dict[str, tuple[np.ndarray, np.ndarray]],
                      generated: dict[str, tuple[np.ndarray, np.ndarray]],
                      joint: dict[str, np.ndarray],
                      num_classes: int) -> dict[str, float]:
  """The FD metrics of the module docstring, in one reading.

  Args:
    real: {'x', 'y'}: ([N, F] features of each distinct test example of the
      side, [N] their labels).
    generated: {'y_given_x', 'x_given_y'}: ([P, F] features of one sample
      per test pair, [P] the label it should have).
    joint: {'x', 'y'}: [J, F] features of joint samples, J >= classes x
      the per-class count; None: a model without joint generation (no
      fd_joint_*).
  """
  counts = [np.bincount(labels, minlength=num_classes)[:num_classes].min()
            for _, labels in list(real.values()) + list(generated.values())]
  per_class = min(FD_PER_CLASS, int(min(counts)) // 2)
  if per_class < 2:  # too few to estimate a covariance: no FD, said once
    logging.warning('no Fréchet distances: they need at least 4 test examples '
                    'of every label on each side; the rarest label has %d',
                    min(counts))
    return {}
  size = per_class * num_classes
  half = {side: stratified_halves(labels, per_class, num_classes)
          for side, (_, labels) in real.items()}
  out = {}
  for direction, side in (('y_given_x', 'y'), ('x_given_y', 'x')):
    feats, labels = generated[direction]
    chosen, _ = stratified_halves(labels, per_class, num_classes)
    out[f'eval/fd_{direction}'] = frechet_distance(
        feats[chosen], real[side][0][half[side][0]])
  for side in ('x', 'y'):
    first, second = half[side]
    if joint is not None:
      out[f'eval/fd_joint_{side}'] = frechet_distance(joint[side][:size],
                                                      real[side][0][first])
    out['eval/fd_real' + ('_x' if side == 'x' else '')] = frechet_distance(
        real[side][0][second], real[side][0][first])
  return out


def latent_probe_accuracy(model, params: Params, train: data.PairSet,
                          test: data.PairSet, rng: jax.Array) -> float:
  """Test accuracy of a logistic regression from z ~ q(z|x) (one-hot for
  categorical latents; the model's `common_code`) to label(x)."""
  key_train, key_test = jax.random.split(rng)

  def codes(key, x):
    return np.asarray(model.common_code(params, key,
                                        jnp.asarray(x))).reshape(len(x), -1)

  # Imported here (started in the background by label_metrics): scikit-learn
  # takes 1-3 s to import, and every launcher start (a refused rerun too)
  # would pay it.
  from sklearn.linear_model import LogisticRegression  # pylint: disable=import-outside-toplevel
  probe = LogisticRegression(max_iter=1000)
  probe.fit(codes(key_train, train.x), train.label_x)
  return float(probe.score(codes(key_test, test.x), test.label_x))
