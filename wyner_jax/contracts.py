"""Shape and value contracts of the public functions, checked at trace time.

Shapes are static under `jax.jit`, so these checks cost nothing in a compiled
step; they turn the easy mistakes (a missing axis that broadcasts, batches of
different sizes, a family given the other family's parameters) into one
`ShapeError` naming the argument, its shape and the shape expected, instead
of a silently wrong number.
"""

from collections.abc import Callable
import math
import numbers

import jax
import numpy as np

from wyner_jax.errors import ArgumentError, ArgumentTypeError, WynerError


class ShapeError(WynerError, ValueError):
  """An array argument has the wrong rank or shape for its role.

  Attributes:
    args: (message,): the argument's name, its shape and the one expected.
  """


def check_rank(name: str, array: jax.Array, rank: int, layout: str) -> None:
  """Refuses `array` unless it has `rank` axes.

  Args:
    name: the argument's name, as the caller wrote it.
    rank: the number of axes required.
    layout: the expected shape in words, e.g. '[B, N, K]'.
  """
  if array.ndim != rank:
    raise ShapeError(f'{name} has shape {tuple(array.shape)}; expected {layout} '
                     f'({rank} axes)')


def check_trailing(name: str, array: jax.Array, trailing: tuple[int, ...],
                   layout: str) -> None:
  """Refuses `array` unless its shape is [*, *trailing] with one leading axis."""
  if array.ndim != len(trailing) + 1 or tuple(array.shape[1:]) != tuple(trailing):
    expected = ', '.join(['B', *map(str, trailing)])
    raise ShapeError(f'{name} has shape {tuple(array.shape)}; expected '
                     f'[{expected}] ({layout})')


def batch_size(**arrays: jax.Array) -> int:
  """The common leading (batch) size of every array; refuses scalars and
  arrays whose batch sizes differ, naming them."""
  sizes = {}
  for name, array in arrays.items():
    if array.ndim == 0:
      raise ShapeError(f'{name} is a scalar; expected a batch [B, ...]')
    if array.shape[0] == 0:
      raise ShapeError(f'{name} has shape {tuple(array.shape)}: a batch of 0 '
                       'examples; give at least one (B >= 1)')
    sizes[name] = array.shape[0]
  if len(set(sizes.values())) > 1:
    listed = ', '.join(f'{name} {size}' for name, size in sizes.items())
    raise ShapeError(f'batch sizes differ: {listed}; every argument must have '
                     'the same B')
  return next(iter(sizes.values()))


def check_side(name: str, array: jax.Array, side: str, width: int) -> None:
  """Refuses a batch [B, ...] of side `side` unless each example holds the
  `width` values the model's networks of that side take (flattened)."""
  values = math.prod(array.shape[1:]) if array.ndim >= 1 else 0
  if array.ndim >= 1:
    batch_size(**{name: array})  # B >= 1
  if array.ndim < 2 or values != width:
    raise ShapeError(
        f'{name} has shape {tuple(array.shape)} ({values} values per '
        f'example) but side {side} of this model takes {width}; pass a batch '
        f'[B, ...] of side {side} (are x and y swapped?)')


def check_same_shape(target_name: str, target: jax.Array, name: str,
                     array: jax.Array) -> None:
  """Refuses `array` unless it has `target`'s shape exactly (no broadcasting)."""
  if tuple(array.shape) != tuple(target.shape):
    raise ShapeError(f'{name} has shape {tuple(array.shape)} but {target_name} '
                     f'has {tuple(target.shape)}; they must be equal (a '
                     'broadcast would sum the wrong squared errors)')


def check_count(name: str, value: int, minimum: int = 1) -> None:
  """Refuses a count that is not a Python int >= `minimum` (a static size)."""
  if (not isinstance(value, numbers.Integral) or isinstance(value, bool)
      or value < minimum):
    raise ArgumentError(f'{name}={value!r} is not allowed; use an int >= {minimum}')


def host_value(value) -> np.ndarray | None:
  """`value` as a NumPy array when the host knows it (a Python or NumPy
  number or array, a JAX array outside a trace); None when it is traced."""
  if isinstance(value, jax.core.Tracer):
    return None
  return np.asarray(value)


def check_number(name: str, value, allowed: str,
                 holds: Callable[[np.ndarray], np.ndarray]) -> None:
  """Refuses anything but one number (a scalar: an array of shape [n] would
  give a loss of shape [n]), and a number for which `holds` is false (NaN
  fails every comparison).

  Python numbers, NumPy scalars and concrete arrays of any real dtype
  (bfloat16 included) are checked alike; a traced value's shape is checked
  (it is static), its value is the caller's contract (there is no host check
  inside a compiled step).

  Args:
    allowed: the allowed values in words, e.g. 'a number > 0'.
    holds: the condition, on a NumPy float64 or integer scalar.
  """
  shape = getattr(value, 'shape', ())
  if shape != ():
    raise ArgumentError(f'{name} has shape {tuple(shape)}; use one number '
                        f'({allowed}), not an array')
  values = host_value(value)
  if values is None:
    return
  if values.dtype.kind not in 'biuf' and not jax.numpy.issubdtype(
      values.dtype, jax.numpy.floating):  # bfloat16's NumPy kind is 'V'
    raise ArgumentTypeError(f'{name}={value!r} is not a number; use {allowed}')
  if values.dtype.kind not in 'biu':
    values = values.astype(np.float64)
  if not np.all(holds(values)):
    raise ArgumentError(f'{name}={value!r} is not allowed; use {allowed}')


def check_positive_number(name: str, value) -> None:
  """Refuses a value <= 0 or infinite (`check_number`)."""
  check_number(name, value, 'a number > 0, finite',
               lambda a: (a > 0) & np.isfinite(a))


def check_non_negative_number(name: str, value) -> None:
  """Refuses a value < 0 or infinite (`check_number`)."""
  check_number(name, value, 'a number >= 0, finite',
               lambda a: (a >= 0) & np.isfinite(a))


def check_choice(name: str, value, allowed: tuple) -> None:
  """Refuses a value that is not one of `allowed`, naming them."""
  if value not in allowed:
    raise ArgumentError(f'{name}={value!r} is not allowed; allowed: '
                        f'{", ".join(map(str, allowed))}')
