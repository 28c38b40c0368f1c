"""What the latents carry, measured with a digit classifier (method.md §7-8).

The model is right only when Z carries the label (what X and Y share) and U, V
carry style. Accuracies here are fractions of generated images whose predicted
label is the one the method intends; read them against the classifier's own
test accuracy (`classifier/test_accuracy`).

  accuracy_joint_reconstruction   y(v, z), z ~ q(z|x,y), v ~ q(v|x,y)  vs label(y)
  accuracy_z_encoded_v_random     y(v, z), z ~ q(z|x,y), v ~ p(v)      vs label(y)  (high)
  accuracy_z_random_v_encoded     y(v, z), z ~ p(z),     v ~ q(v|x,y)  vs label(y)  (~0.1)
  accuracy_y_given_x              y ~ p(y|x) with the marginal q(z|x)  vs label(x)+1
  accuracy_x_given_y              x ~ p(x|y) with the marginal q(z|y)  vs label(y)-1
  joint_coherence                 (x, y) ~ p: label(y) == label(x)+1 mod 10
"""

import functools

import jax
import numpy as np

from wyner_jax import latents
from wyner_jax import sampling
from wyner_jax.classifier import TrainedClassifier, predict
from wyner_jax.data import NUM_CLASSES, PairSet
from wyner_jax.model import Params, WynerVAE

SAMPLES_PER_CONDITION = 4
JOINT_SAMPLES = 2000


@functools.partial(jax.jit, static_argnames=('model', 'z_source', 'v_source'))
def decode_y_from_sources(model: WynerVAE, params: Params, rng: jax.Array,
                          x: jax.Array, y: jax.Array, z_source: str,
                          v_source: str) -> jax.Array:
  """y(v, z) with z and v each drawn from the joint encoder ('encoder') or the
  prior ('prior'), as exact one-hots: [B, D]."""
  key_z, key_v = jax.random.split(rng)
  enc, batch = params['joint'], x.shape[0]

  def draw(key, name, size, source):
    if source == 'prior':
      return latents.sample_prior(key, batch, size)
    return latents.sample_one_hot(key, model.encode(enc[name], size, x, y))

  z = draw(key_z, 'z', model.z, z_source)
  v = draw(key_v, 'v', model.v, v_source)
  return model.decode(params['decoders']['y'], v, z)


def label_metrics(model: WynerVAE, params: Params,
                  classifier: TrainedClassifier, pairs: PairSet,
                  rng: jax.Array) -> dict[str, float]:
  """The accuracies and coherence listed in the module docstring.

  Args:
    params: all groups ('joint', 'decoders', 'marginal').
    pairs: test pairs (every pair is used).
    rng: the result is a deterministic function of it.
  """
  keys = iter(jax.random.split(rng, 8))
  accuracy = lambda images, labels: float(np.mean(predict(classifier, images)
                                                  == labels))
  x, y = pairs.x, pairs.y
  out = {'classifier/test_accuracy': classifier.test_accuracy}
  for name, z_source, v_source in (
      ('accuracy_joint_reconstruction', 'encoder', 'encoder'),
      ('accuracy_z_encoded_v_random', 'encoder', 'prior'),
      ('accuracy_z_random_v_encoded', 'prior', 'encoder')):
    y_gen = decode_y_from_sources(model, params, next(keys), x, y, z_source,
                                  v_source)
    out[f'eval/{name}'] = accuracy(np.asarray(y_gen), pairs.label_y)

  s = SAMPLES_PER_CONDITION
  y_gen = sampling.y_given_x(model, params, next(keys), x, s)
  out['eval/accuracy_y_given_x'] = accuracy(
      np.asarray(y_gen).reshape(len(x) * s, -1), np.repeat(pairs.label_y, s))
  x_gen = sampling.x_given_y(model, params, next(keys), y, s)
  out['eval/accuracy_x_given_y'] = accuracy(
      np.asarray(x_gen).reshape(len(y) * s, -1), np.repeat(pairs.label_x, s))

  joint_x, joint_y = sampling.joint_samples(model, params, next(keys),
                                            JOINT_SAMPLES)
  out['eval/joint_coherence'] = float(np.mean(
      (predict(classifier, np.asarray(joint_x)) + 1) % NUM_CLASSES
      == predict(classifier, np.asarray(joint_y))))
  return out
