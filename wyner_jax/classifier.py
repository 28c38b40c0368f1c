"""A digit classifier that judges generated images (method.md §7).

An MLP trained on the training images of the same source with a fixed seed;
its own test accuracy is reported next to every accuracy it measures, since
no generated-image accuracy can be read without it.
"""

import functools
import json
import os
import shutil
from typing import NamedTuple

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax
import orbax.checkpoint as ocp

from wyner_jax.data import NUM_CLASSES, ImageSet


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
  """The classifier cached in `directory` (Orbax), trained and saved if absent.

  The caller keys `directory` by everything the classifier depends on
  (image source, seed, steps).
  """
  directory = os.path.abspath(directory)
  accuracy_path = os.path.join(directory, 'test_accuracy.json')
  params_path = os.path.join(directory, 'params')
  abstract = jax.eval_shape(DigitClassifier().init, jax.random.key(0),
                            jnp.zeros((1, train.images.shape[1])))
  if os.path.exists(accuracy_path):  # written last: the cache is complete
    with ocp.StandardCheckpointer() as checkpointer:
      params = checkpointer.restore(params_path, abstract)
    with open(accuracy_path) as f:
      return TrainedClassifier(params, json.load(f)['test_accuracy'])
  trained = train_classifier(train, test, seed=seed, num_steps=num_steps)
  if os.path.exists(params_path):  # left by an interrupted save
    shutil.rmtree(params_path)
  with ocp.StandardCheckpointer() as checkpointer:
    checkpointer.save(params_path, trained.params)
  with open(accuracy_path, 'w') as f:
    json.dump({'test_accuracy': trained.test_accuracy}, f)
  return trained
