"""A second reading of samples: an autoencoder's codes as image features.

The judging classifier's features are trained to ignore style, so variability
and Fréchet distances read in them understate differences of style. The
authors' later evaluation read them in a pretrained autoencoder's features;
this module trains one (`wyner_jax.autoencoder.ConvAutoencoder`, its own
instance: never a wrapped model's autoencoder) on the train images, caches it
as the classifier is cached, and gives its codes as features
(`eval/ae_*` metrics, experiments/judging/metrics.py).
"""

import jax
import jax.numpy as jnp
import numpy as np
import optax

from experiments.judging import instruments
from experiments import train_log
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
  progress = train_log.Progress('judge: the feature autoencoder', num_steps)
  for i in range(num_steps):
    params, opt_state = step(params, opt_state, i)
    progress(i + 1)
  return params


def judge_key(key: dict, seed: int, num_steps: int,
              shape: tuple[int, int, int]) -> dict:
  """The key of an autoencoder of the data named in `key` with these
  settings (`experiments.judging.instruments`, `experiments.cache`)."""
  return {**key, 'judge': 'feature_autoencoder', 'seed': seed,
          'steps': num_steps, 'shape': list(shape), 'code_size': CODE_SIZE}


def load_or_train(path: str, key: dict, train_images: np.ndarray,
                  shape: tuple[int, int, int], seed: int, num_steps: int) -> dict:
  """The shipped autoencoder for these settings (`experiments.judging.instruments`),
  else the one cached at `path` (`experiments.cache`), trained and cached if
  the cache has none for `key` (the data) with these settings."""
  target = jax.eval_shape(autoencoder.ConvAutoencoder(CODE_SIZE, shape).init,
                          jax.random.key(0))
  params = instruments.load_or_build(
      path, judge_key(key, seed, num_steps, shape), target,
      lambda: train(train_images, shape, seed, num_steps))
  return jax.device_put(params)


def feature_fn(params: dict, shape: tuple[int, int, int]):
  """images [B, H*W*C] -> [B, CODE_SIZE] codes, in chunks, as numpy."""
  encode = jax.jit(autoencoder.ConvAutoencoder(CODE_SIZE, shape).encode)
  return lambda images: in_chunks(lambda rows: encode(params, rows),
                                  np.asarray(images))
