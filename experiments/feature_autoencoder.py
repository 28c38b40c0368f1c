"""A second reading of samples: an autoencoder's codes as image features.

The judging classifier's features are trained to ignore style, so variability
and Fréchet distances read in them understate differences of style. The
authors' later evaluation read them in a pretrained autoencoder's features;
this module trains one (`wyner_jax.autoencoder.ConvAutoencoder`, its own
instance: never a wrapped model's autoencoder) on the train images, caches it
as the classifier is cached, and gives its codes as features
(`eval/ae_*` metrics, experiments/metrics.py).
"""

import os

import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import serialization

from experiments.data import in_chunks
from wyner_jax import autoencoder
from wyner_jax import losses

CODE_SIZE = 16
BATCH = 128


def train(images: np.ndarray, shape: tuple[int, int, int], seed: int,
          num_steps: int) -> dict:
  """Params of a ConvAutoencoder trained on `images` [N, H*W*C] of `shape`
  (Adam 1e-3, squared error summed over pixels), a function of `seed`."""
  net = autoencoder.ConvAutoencoder(CODE_SIZE, shape)
  optimizer = optax.adam(1e-3)
  params = net.init(jax.random.key(seed))
  data = jnp.asarray(images)
  batch = min(BATCH, len(images))

  @jax.jit
  def step(params, opt_state, i):
    index = jax.random.choice(jax.random.fold_in(jax.random.key(seed), i),
                              len(images), (batch,), replace=False)
    def loss_fn(p):
      x = data[index]
      return jnp.mean(losses.squared_error(x, net.decode(p, net.encode(p, x))))
    grads = jax.grad(loss_fn)(params)
    updates, opt_state = optimizer.update(grads, opt_state)
    return optax.apply_updates(params, updates), opt_state

  opt_state = optimizer.init(params)
  for i in range(num_steps):
    params, opt_state = step(params, opt_state, i)
  return params


def load_or_train(directory: str, train_images: np.ndarray,
                  shape: tuple[int, int, int], seed: int, num_steps: int) -> dict:
  """The autoencoder cached in `directory` (keyed by the caller by data,
  seed and steps), trained and saved if absent; written to a temporary name
  and renamed, so the cache is complete or absent."""
  path = os.path.join(os.path.abspath(directory), 'autoencoder.msgpack')
  net = autoencoder.ConvAutoencoder(CODE_SIZE, shape)
  if os.path.exists(path):
    target = jax.eval_shape(net.init, jax.random.key(0))
    with open(path, 'rb') as f:
      return jax.tree.map(jnp.asarray, serialization.from_bytes(target, f.read()))
  params = train(train_images, shape, seed, num_steps)
  if jax.process_index() == 0:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    partial = path + '.partial'
    with open(partial, 'wb') as f:
      f.write(serialization.to_bytes(params))
    os.replace(partial, path)
  return params


def feature_fn(params: dict, shape: tuple[int, int, int]):
  """images [B, H*W*C] -> [B, CODE_SIZE] codes, in chunks, as numpy."""
  encode = jax.jit(autoencoder.ConvAutoencoder(CODE_SIZE, shape).encode)
  return lambda images: in_chunks(lambda rows: encode(params, rows),
                                  np.asarray(images))
