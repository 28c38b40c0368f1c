"""What the latents carry, measured with a digit classifier (method.md §7-8).

The model is right only when Z carries the label (what X and Y share) and U, V
carry style. Accuracies are fractions of generated images whose predicted label
is the one the method intends (chance 0.1); read them against the classifier's
own test accuracy, `classifier/test_accuracy`.

  accuracy_joint_reconstruction  y(v,z), z ~ q(z|x,y), v ~ q(v|x,y)  vs label(y)
  accuracy_z_encoded_v_random    y(v,z), z ~ q(z|x,y), v ~ p(v)      vs label(y)  (high)
  accuracy_z_random_v_encoded    y(v,z), z ~ p(z),     v ~ q(v|x,y)  vs label(y)  (~0.1)
  accuracy_y_given_x             y ~ p(y|x), z ~ q(z|x) (step 2)     vs label(x)+1
  accuracy_x_given_y             x ~ p(x|y), z ~ q(z|y)              vs label(y)-1
  style_transfer_accuracy        x(u0, z), u0 ~ q(u|x0) of another pair, z ~ q(z|y)
                                                                     vs label(y)-1
  joint_coherence                (x, y) ~ p: label(y) == label(x)+1 mod 10
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
layer), divided by the mean pairwise feature distance of real test images of
the target class, then averaged over conditions. 1.0: as varied as real
digits of that class; 0: all samples identical.

  variability_y_given_x         z ~ q(z|x) and v ~ p(v) both sampled (all of p(y|x))
  style_variability_y_given_x   z at the mode of q(z|x), only v sampled: is V used?
  (and the x_given_y pair)
  style_transfer_variability    one concept y (z at the mode of q(z|y)), S different
                                style references x0: does the output follow the
                                style reference? (Above 1 when it copies the
                                reference digit and ignores the concept.)

Style-transfer fidelity: slant and stroke thickness (Morpho-MNIST,
`experiments.morphometry`) of each style-transfer output (z at the mode of
q(z|y)) against its style reference x0, as the Pearson correlation over
MORPHOMETRY_CELLS (style, concept) cells of the test grid (1: the output has
exactly the reference's slant or thickness ordering; 0: it ignores them).

  style_transfer_slant_corr, style_transfer_thickness_corr

Sample fidelity: Fréchet distance (`experiments.frechet`) between classifier
features of generated images and of real test images of the side generated.
Every set has FD_PER_CLASS images of each intended label (joint samples:
10 x FD_PER_CLASS, their labels are the model's), so the values are
comparable with each other and with the floor `fd_real` (two disjoint halves
of the real test images of y). Lower is closer to real data.

  fd_y_given_x, fd_x_given_y    one sample per condition (z and the local latent sampled)
  fd_joint_x, fd_joint_y        joint samples from the priors
  fd_real                       real y images against other real y images

A second reading, in an autoencoder's features (`experiments.feature_autoencoder`:
its 16-number codes, which keep style that the classifier's features drop):
every variability and FD above again, prefixed `ae_` (`eval/ae_fd_y_given_x`,
`eval/ae_style_variability_y_given_x`, ...), when the caller gives that
feature function.
"""

import functools

import jax
import jax.numpy as jnp
import numpy as np

from wyner_jax import sampling
from experiments import morphometry
from experiments.classifier import TrainedClassifier, features, predict
from experiments.data import NUM_CLASSES, PairSet
from experiments.frechet import frechet_distance
from wyner_jax.model import Params, WynerVAE

SAMPLES_PER_CONDITION = 4
JOINT_SAMPLES = 2000
MAX_REFERENCE_PER_CLASS = 300  # bounds the O(n^2) real-data distance statistic
# Style-transfer cells measured: about 4 ms per image on one core; the
# correlation's standard error is below 0.02 at r = 0.7 with 1,000.
MORPHOMETRY_CELLS = 1000
FD_PER_CLASS = 50  # images per label in every Fréchet-distance set (fewer if the test set has fewer)


@functools.partial(jax.jit, static_argnames=('model', 'z_source', 'v_source'))
def decode_y_from_sources(model: WynerVAE, params: Params, rng: jax.Array,
                          x: jax.Array, y: jax.Array, z_source: str,
                          v_source: str) -> jax.Array:
  """y(v, z) with z and v each drawn exactly from the joint encoder
  ('encoder') or the prior ('prior'): [B, D]."""
  key_z, key_v = jax.random.split(rng)
  enc, batch = params['joint'], x.shape[0]

  def draw(key, name, latent, source):
    if source == 'prior':
      return latent.sample_prior(key, batch, model.priors(params)[name])
    return latent.sample(key, model.encode(enc[name], latent, x, y))

  z = draw(key_z, 'z', model.latent_z, z_source)
  v = draw(key_v, 'v', model.latent_v, v_source)
  return model.decode(params['decoders']['y'], v, z)


def mean_pairwise_distance(feats: np.ndarray) -> np.ndarray:
  """[G, S, F] -> [G]: mean Euclidean distance over the S(S-1)/2 pairs of each group."""
  num = feats.shape[1]
  dist = np.linalg.norm(feats[:, :, None] - feats[:, None], axis=-1)
  return dist.sum((1, 2)) / (num * (num - 1))


def class_reference_distances(feats: np.ndarray, labels: np.ndarray,
                              seed: int = 0) -> np.ndarray:
  """[10]: mean pairwise feature distance of real images of each class
  (at most MAX_REFERENCE_PER_CLASS images per class, a fixed subsample)."""
  rng = np.random.default_rng(seed)
  out = np.zeros(NUM_CLASSES)
  for label in range(NUM_CLASSES):
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
    reference: [10] from `class_reference_distances`.
  """
  return float(np.mean(mean_pairwise_distance(sample_feats)
                       / reference[target_labels]))


def label_accuracy(classifier: TrainedClassifier, images: np.ndarray,
                   labels: np.ndarray) -> float:
  """Fraction of [B, 784] images the classifier assigns the [B] labels."""
  return float(np.mean(predict(classifier, images) == labels))


def joint_coherence(classifier: TrainedClassifier, x: np.ndarray,
                    y: np.ndarray) -> float:
  """Fraction of pairs whose predicted labels satisfy label(y) = label(x)+1 mod 10."""
  return float(np.mean((predict(classifier, x) + 1) % NUM_CLASSES
                       == predict(classifier, y)))


def label_metrics(model: WynerVAE, params: Params,
                  classifier: TrainedClassifier, pairs: PairSet,
                  train_pairs: PairSet, rng: jax.Array,
                  autoencoder_features=None) -> dict[str, float]:
  """Every metric of the module docstring, on all test pairs.

  Args:
    params: all groups ('joint', 'decoders', 'marginal').
    pairs: test pairs; train_pairs: only for fitting the latent probe.
    rng: the result is a deterministic function of it.
    autoencoder_features: images [B, 784] -> features [B, F] of the second
      reading (the `ae_` metrics); None: the classifier's reading alone.
  """
  keys = iter(jax.random.split(rng, 16))
  s = SAMPLES_PER_CONDITION
  num = len(pairs.x)
  accuracy = functools.partial(label_accuracy, classifier)
  flat = lambda a: np.asarray(a).reshape(-1, a.shape[-1])
  out = {'classifier/test_accuracy': classifier.test_accuracy}

  for name, z_source, v_source in (
      ('accuracy_joint_reconstruction', 'encoder', 'encoder'),
      ('accuracy_z_encoded_v_random', 'encoder', 'prior'),
      ('accuracy_z_random_v_encoded', 'prior', 'encoder')):
    y_gen = decode_y_from_sources(model, params, next(keys), pairs.x, pairs.y,
                                  z_source, v_source)
    out[f'eval/{name}'] = accuracy(np.asarray(y_gen), pairs.label_y)

  # The readings of variability and FD: metric prefix -> feature function.
  readings = {'': functools.partial(features, classifier)}
  if autoencoder_features is not None:
    readings['ae_'] = autoencoder_features
  # [num, F] features of one sample per condition, for the FD
  generated = {reading: {} for reading in readings}
  # Real test images' features, once: the variability reference and the FD.
  real = {reading: {'x': f(pairs.x), 'y': f(pairs.y)}
          for reading, f in readings.items()}
  reference = {reading: class_reference_distances(
      np.concatenate([r['x'], r['y']]),
      np.concatenate([pairs.label_x, pairs.label_y]))
               for reading, r in real.items()}
  for direction, condition, target, generate in (
      ('y_given_x', pairs.x, pairs.label_y, sampling.y_given_x),
      ('x_given_y', pairs.y, pairs.label_x, sampling.x_given_y)):
    for prefix, z_mode in (('', False), ('style_', True)):
      samples = flat(generate(model, params, next(keys), condition, s,
                              z_mode=z_mode))
      for reading, f in readings.items():
        feats = f(samples).reshape(num, s, -1)
        out[f'eval/{reading}{prefix}variability_{direction}'] = variability(
            feats, target, reference[reading])
        if not z_mode:
          generated[reading][direction] = feats[:, 0]  # one sample per condition
      if not z_mode:
        out[f'eval/accuracy_{direction}'] = accuracy(samples, np.repeat(target, s))

  # Style transfer: concept y_j, style from the x of S other (shuffled) pairs.
  order = np.random.default_rng(0).permutation(num)
  styles = np.stack([pairs.x[np.roll(order, k + 1)] for k in range(s)], 1)
  styles = jnp.asarray(styles.reshape(num * s, -1))
  concepts = jnp.asarray(np.repeat(pairs.y, s, axis=0))
  transferred = flat(sampling.style_transfer(
      model, params, next(keys), styles, concepts, grid=False))
  out['eval/style_transfer_accuracy'] = accuracy(transferred,
                                                 np.repeat(pairs.label_x, s))
  transferred = flat(sampling.style_transfer(
      model, params, next(keys), styles, concepts, grid=False, z_mode=True))
  for reading, f in readings.items():
    out[f'eval/{reading}style_transfer_variability'] = variability(
        f(transferred).reshape(num, s, -1), pairs.label_x, reference[reading])
  out.update(style_transfer_morphometry(np.asarray(styles), transferred))

  joint_x, joint_y = sampling.joint_samples(model, params, next(keys),
                                            JOINT_SAMPLES)
  out['eval/joint_coherence'] = joint_coherence(
      classifier, np.asarray(joint_x), np.asarray(joint_y))
  for reading, f in readings.items():
    fds = frechet_distances(pairs, real[reading], generated[reading],
                            f(np.asarray(joint_x)), f(np.asarray(joint_y)))
    out.update({name.replace('eval/', f'eval/{reading}'): value
                for name, value in fds.items()})

  out['eval/latent_probe_accuracy'] = latent_probe_accuracy(
      model, params, train_pairs, pairs, next(keys))
  for name, latent in (('z', model.latent_z), ('u', model.latent_u),
                       ('v', model.latent_v)):
    latent_params = model.encode(params['joint'][name], latent,
                                 jnp.asarray(pairs.x), jnp.asarray(pairs.y))
    out[f'eval/rate_{name}'] = float(jnp.mean(
        latent.kl(latent_params, model.priors(params)[name])))
    if latent.max_rate is not None:  # Gaussian rates are unbounded
      out[f'eval/rate_{name}_max'] = latent.max_rate
      out[f'eval/code_entropy_{name}'] = code_entropy(np.asarray(latent_params))
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
  """Pearson correlations of slant and thickness of [C, D] style-transfer
  outputs with those of their [C, D] style references, over at most
  MORPHOMETRY_CELLS cells (a fixed subsample)."""
  cells = np.random.default_rng(0).permutation(len(styles))[:MORPHOMETRY_CELLS]
  slant_ref, thick_ref = morphometry.measure(styles[cells])
  slant_out, thick_out = morphometry.measure(outputs[cells])
  return {'eval/style_transfer_slant_corr': morphometry.pearson(slant_ref, slant_out),
          'eval/style_transfer_thickness_corr': morphometry.pearson(thick_ref,
                                                                    thick_out)}


def stratified_halves(labels: np.ndarray, per_class: int
                      ) -> tuple[np.ndarray, np.ndarray]:
  """Two disjoint index sets, each with the first / next `per_class` of every label."""
  first, second = [], []
  for label in range(NUM_CLASSES):
    index = np.flatnonzero(labels == label)
    first.append(index[:per_class])
    second.append(index[per_class:2 * per_class])
  return np.concatenate(first), np.concatenate(second)


def frechet_distances(pairs: PairSet, real: dict[str, np.ndarray],
                      generated: dict[str, np.ndarray], joint_x: np.ndarray,
                      joint_y: np.ndarray) -> dict[str, float]:
  """The FD metrics of the module docstring.

  Args:
    pairs: the test pairs (their labels).
    real: {'x', 'y'}: [P, F] features of the test pairs' x and y images.
    generated: {'y_given_x', 'x_given_y'}: [P, F] features of one sample per
      test pair (conditioned on its x, resp. its y).
    joint_x, joint_y: [J, F] features of joint samples, J >= 10 x the
      per-class count.
  """
  per_class = min(FD_PER_CLASS, int(np.bincount(pairs.label_x,
                                                minlength=NUM_CLASSES).min()) // 2)
  if per_class < 2:
    raise ValueError('the Fréchet distances need at least 4 test pairs of every '
                     f'label; got {np.bincount(pairs.label_x, minlength=NUM_CLASSES)}')
  size = per_class * NUM_CLASSES
  # Test pairs hold every test image once as x and once as y, with equal label
  # counts on both sides, so one stratified split serves both.
  half_y, other_y = stratified_halves(pairs.label_y, per_class)
  half_x, _ = stratified_halves(pairs.label_x, per_class)
  return {
      'eval/fd_y_given_x': frechet_distance(generated['y_given_x'][half_y],
                                            real['y'][half_y]),
      'eval/fd_x_given_y': frechet_distance(generated['x_given_y'][half_x],
                                            real['x'][half_x]),
      'eval/fd_joint_x': frechet_distance(joint_x[:size], real['x'][half_x]),
      'eval/fd_joint_y': frechet_distance(joint_y[:size], real['y'][half_y]),
      'eval/fd_real': frechet_distance(real['y'][other_y], real['y'][half_y]),
  }


def latent_probe_accuracy(model: WynerVAE, params: Params, train: PairSet,
                          test: PairSet, rng: jax.Array) -> float:
  """Test accuracy of a logistic regression from z ~ q(z|x) (one-hot for
  categorical latents) to label(x)."""
  key_train, key_test = jax.random.split(rng)

  def codes(key, x):
    latent = model.latent_z
    z_params = model.encode(params['marginal']['z_x'], latent, jnp.asarray(x))
    return np.asarray(latent.sample(key, z_params)).reshape(len(x), -1)

  # Imported here: scikit-learn takes 1 s to import, and every launcher
  # start (a refused rerun too) would pay it.
  from sklearn.linear_model import LogisticRegression  # pylint: disable=import-outside-toplevel
  probe = LogisticRegression(max_iter=1000)
  probe.fit(codes(key_train, train.x), train.label_x)
  return float(probe.score(codes(key_test, test.x), test.label_x))
