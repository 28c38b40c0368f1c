"""A digit classifier that judges generated images (method.md §7).

An MLP trained on the training images of the same source with a fixed seed;
its own test accuracy is reported next to every accuracy it measures, since
no generated-image accuracy can be read without it.
"""

import functools
import os
from typing import NamedTuple

from flax import serialization
import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax

from experiments.data import NUM_CLASSES, ImageSet


class DigitClassifier(nn.Module):
  """784 -> 512 -> 256 (features) -> 10, ReLU."""

  @nn.compact
  def __call__(self, images: jax.Array) -> tuple[jax.Array, jax.Array]:
    h = nn.relu(nn.Dense(512)(images))
    features = nn.relu(nn.Dense(256)(h))
    return nn.Dense(NUM_CLASSES)(features), features  # [B, 10], [B, 256]


class TrainedClassifier(NamedTuple):
  params: dict
  test_accuracy: float


@jax.jit
def logits_and_features(params, images: jax.Array):
  """([B, 10] logits, [B, 256] penultimate features) of [B, 784] images."""
  return DigitClassifier().apply(params, images)


def predict(classifier: TrainedClassifier, images: np.ndarray,
            chunk: int = 4096) -> np.ndarray:
  """Predicted labels [B] of [B, 784] images in [0, 1]."""
  out = [np.asarray(jnp.argmax(
      logits_and_features(classifier.params, jnp.asarray(images[i:i + chunk]))[0], -1))
         for i in range(0, len(images), chunk)]
  return np.concatenate(out) if out else np.zeros((0,), np.int32)


def features(classifier: TrainedClassifier, images: np.ndarray,
             chunk: int = 4096) -> np.ndarray:
  """Penultimate-layer features [B, 256] of [B, 784] images."""
  out = [np.asarray(logits_and_features(classifier.params,
                                        jnp.asarray(images[i:i + chunk]))[1])
         for i in range(0, len(images), chunk)]
  return np.concatenate(out) if out else np.zeros((0, 256), np.float32)


def train_classifier(train: ImageSet, test: ImageSet, seed: int = 0,
                     num_steps: int = 2000, batch_size: int = 128,
                     learning_rate: float = 1e-3) -> TrainedClassifier:
  """Trains on `train` (with a fixed seed) and measures accuracy on `test`."""
  model = DigitClassifier()
  key = jax.random.key(seed)
  params = model.init(key, jnp.zeros((1, train.images.shape[1])))
  optimizer = optax.adamw(learning_rate, weight_decay=1e-4)
  images, labels = jnp.asarray(train.images), jnp.asarray(train.labels)
  steps_per_epoch = len(images) // batch_size

  @functools.partial(jax.jit, donate_argnums=(0, 1))
  def step(params, opt_state, i):
    perm = jax.random.permutation(jax.random.fold_in(key, i // steps_per_epoch),
                                  len(images))
    index = jax.lax.dynamic_slice_in_dim(perm, (i % steps_per_epoch) * batch_size,
                                         batch_size)

    def loss_fn(p):
      logits, _ = model.apply(p, images[index])
      return optax.softmax_cross_entropy_with_integer_labels(
          logits, labels[index]).mean()

    grads = jax.grad(loss_fn)(params)
    updates, opt_state = optimizer.update(grads, opt_state, params)
    return optax.apply_updates(params, updates), opt_state

  opt_state = optimizer.init(params)
  for i in range(num_steps):
    params, opt_state = step(params, opt_state, i)
  trained = TrainedClassifier(params, 0.0)
  accuracy = float(np.mean(predict(trained, test.images) == test.labels))
  return TrainedClassifier(params, accuracy)


def load_or_train(directory: str, train: ImageSet, test: ImageSet, seed: int,
                  num_steps: int) -> TrainedClassifier:
  """The classifier cached in `directory`, trained and saved if absent.

  The caller keys `directory` by everything the classifier depends on
  (image source, seed, steps). The cache is one msgpack file written to a
  temporary name and renamed, so it is complete or absent; with several
  processes each trains the same classifier and only process 0 writes it.
  """
  path = os.path.join(os.path.abspath(directory), 'classifier.msgpack')
  target = {'params': jax.eval_shape(DigitClassifier().init, jax.random.key(0),
                                     jnp.zeros((1, train.images.shape[1]))),
            'test_accuracy': 0.0}
  if os.path.exists(path):
    with open(path, 'rb') as f:
      cached = serialization.from_bytes(target, f.read())
    return TrainedClassifier(jax.tree.map(jnp.asarray, cached['params']),
                             float(cached['test_accuracy']))
  trained = train_classifier(train, test, seed=seed, num_steps=num_steps)
  if jax.process_index() == 0:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    partial = path + '.partial'
    with open(partial, 'wb') as f:
      f.write(serialization.to_bytes(
          {'params': trained.params, 'test_accuracy': trained.test_accuracy}))
    os.replace(partial, path)
  return trained
