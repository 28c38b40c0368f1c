"""A classifier that judges generated examples of one side.

Trained on the training examples of the side's domain with a fixed seed; its
own test accuracy is reported next to every accuracy it measures, since no
generated-example accuracy can be read without it. Colour images (H, W, C > 1)
get a small convolutional network, every other side an MLP on the flattened
examples: on the two-shape pair's colour digits (digits on photographs) the
MLP reached 0.793 test accuracy and this convolutional one 0.885 at the same
2,000 steps, while gray digits keep the MLP (0.952 on the embedded MNIST test
digits), which every documented reading of gray data was made with
(docs/results.md, "The offline two-shape pair under the protocol").
"""

import functools
from typing import NamedTuple

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax

from experiments.judging import instruments
from experiments import train_log
from experiments.data import in_chunks

FEATURES = 256


class Classifier(nn.Module):
  """D -> 512 -> 256 (features) -> num_classes, ReLU."""
  num_classes: int

  @nn.compact
  def __call__(self, images: jax.Array) -> tuple[jax.Array, jax.Array]:
    h = nn.relu(nn.Dense(512)(images))
    features = nn.relu(nn.Dense(FEATURES)(h))
    return nn.Dense(self.num_classes)(features), features


class ConvClassifier(nn.Module):
  """[B, H*W*C] rows of (H, W, C) images -> two 3 x 3 convolutions of
  stride 2 (32, 64 channels) -> 256 (features) -> num_classes, ReLU."""
  num_classes: int
  shape: tuple[int, int, int]

  @nn.compact
  def __call__(self, images: jax.Array) -> tuple[jax.Array, jax.Array]:
    h = images.reshape(-1, *self.shape)
    h = nn.relu(nn.Conv(32, (3, 3), strides=(2, 2))(h))
    h = nn.relu(nn.Conv(64, (3, 3), strides=(2, 2))(h))
    features = nn.relu(nn.Dense(FEATURES)(h.reshape(h.shape[0], -1)))
    return nn.Dense(self.num_classes)(features), features


def conv_shape(shape: tuple[int, ...]) -> tuple[int, int, int] | None:
  """The image shape the judge of examples of `shape` convolves over:
  colour images (H, W, C > 1); None (the MLP) for any other shape."""
  return tuple(shape) if len(shape) == 3 and shape[2] > 1 else None


def network(num_classes: int, image_shape: tuple[int, int, int] | None
            ) -> nn.Module:
  """The judge's network: ConvClassifier over `image_shape`, or the MLP."""
  return (Classifier(num_classes) if image_shape is None
          else ConvClassifier(num_classes, image_shape))


def file_name(num_steps: int, image_shape: tuple[int, int, int] | None) -> str:
  """The cache file of a judge of these steps and network (`conv_shape`)."""
  network_name = 'classifier' if image_shape is None else 'conv_classifier'
  return f'{network_name}{num_steps}.msgpack'


class TrainedClassifier(NamedTuple):
  params: dict
  test_accuracy: float
  num_classes: int
  image_shape: tuple[int, int, int] | None = None  # None: the MLP


@functools.partial(jax.jit, static_argnames=('num_classes', 'image_shape'))
def logits_and_features(params, images: jax.Array, num_classes: int,
                        image_shape: tuple[int, int, int] | None = None):
  """([B, num_classes] logits, [B, 256] penultimate features) of [B, D] rows."""
  return network(num_classes, image_shape).apply(params, images)


def predict(classifier: TrainedClassifier, images: np.ndarray) -> np.ndarray:
  """Predicted labels [B] of [B, D] rows."""
  return in_chunks(lambda rows: logits_and_features(
      classifier.params, rows, classifier.num_classes,
      classifier.image_shape)[0].argmax(-1), images)


def features(classifier: TrainedClassifier, images: np.ndarray) -> np.ndarray:
  """Penultimate-layer features [B, 256] of [B, D] rows."""
  return in_chunks(lambda rows: logits_and_features(
      classifier.params, rows, classifier.num_classes,
      classifier.image_shape)[1], images)


def train_classifier(train_images: np.ndarray, train_labels: np.ndarray,
                     test_images: np.ndarray, test_labels: np.ndarray,
                     num_classes: int, seed: int = 0, num_steps: int = 2000,
                     batch_size: int = 128, learning_rate: float = 1e-3,
                     image_shape: tuple[int, int, int] | None = None
                     ) -> TrainedClassifier:
  """Trains on [N, D] rows and [N] labels (with a fixed seed) and measures
  accuracy on the test rows; convolutional over `image_shape` if given
  (`conv_shape`), else the MLP."""
  model = network(num_classes, image_shape)
  key = jax.random.key(seed)
  params = model.init(key, jnp.zeros((1, train_images.shape[1])))
  optimizer = optax.adamw(learning_rate, weight_decay=1e-4)
  images, labels = jnp.asarray(train_images), jnp.asarray(train_labels)
  batch_size = min(batch_size, len(images))
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
  progress = train_log.Progress('judge: the classifier', num_steps)
  for i in range(num_steps):
    params, opt_state = step(params, opt_state, i)
    progress(i + 1)
  trained = TrainedClassifier(params, 0.0, num_classes, image_shape)
  accuracy = float(np.mean(predict(trained, test_images) == test_labels))
  return trained._replace(test_accuracy=accuracy)


def judge_key(key: dict, seed: int, num_steps: int, num_classes: int,
              image_shape: tuple[int, int, int] | None = None) -> dict:
  """The key of a classifier of the data named in `key` with these settings
  (`experiments.judging.instruments`, `experiments.cache`). The MLP's key
  names no network, as before there was a choice: the shipped instruments
  and the classifiers users have cached stay valid."""
  network_field = {} if image_shape is None else {'network': 'conv'}
  return {**key, 'judge': 'classifier', 'seed': seed, 'steps': num_steps,
          'num_classes': num_classes, **network_field}


def as_tree(trained: TrainedClassifier) -> dict:
  """What is kept of a classifier: {'params', 'test_accuracy'}."""
  return {'params': trained.params, 'test_accuracy': trained.test_accuracy}


def load_or_train(path: str, key: dict, train_images: np.ndarray,
                  train_labels: np.ndarray, test_images: np.ndarray,
                  test_labels: np.ndarray, num_classes: int, seed: int,
                  num_steps: int,
                  image_shape: tuple[int, int, int] | None = None
                  ) -> TrainedClassifier:
  """The shipped classifier for these settings (`experiments.judging.instruments`),
  else the one cached at `path` (`experiments.cache`), trained and cached
  if the cache has none for `key` (what the caller knows it depends
  on: the data) with this seed and number of steps; convolutional over
  `image_shape` if given (`conv_shape`)."""
  target = {'params': jax.eval_shape(network(num_classes, image_shape).init,
                                     jax.random.key(0),
                                     jnp.zeros((1, train_images.shape[1]))),
            'test_accuracy': 0.0}
  cached = instruments.load_or_build(
      path, judge_key(key, seed, num_steps, num_classes, image_shape), target,
      lambda: as_tree(train_classifier(
          train_images, train_labels, test_images, test_labels, num_classes,
          seed=seed, num_steps=num_steps, image_shape=image_shape)))
  return TrainedClassifier(jax.device_put(cached['params']),
                           float(cached['test_accuracy']), num_classes,
                           image_shape)
