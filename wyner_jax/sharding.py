"""Device mesh and placements: data parallel and stacked models, in the global view.

One 2-D mesh ('sweep', 'data') over every device of every process. A run
trains a stack of S models (S = 1 for a single run) whose states carry a
leading model axis split over 'sweep' (P('sweep')); each model's batch is
split over 'data'. The data set is replicated (P()). jit inserts the gradient
all-reduce over 'data'; no pmap, no manual pmean.

Arrays are built with `jax.make_array_from_process_local_data` from host
arrays that every process holds in full, so the same code runs on one process
or many (each process places only the shards of its own devices).
"""

from collections.abc import Sequence

import jax
from jax.experimental import multihost_utils
from jax.sharding import AxisType, Mesh, NamedSharding, PartitionSpec as P
import numpy as np

from wyner_jax.errors import WynerError

AXES = ('sweep', 'data')


class MeshError(WynerError, ValueError):
  """The models or the batch cannot be split evenly over the devices."""


def make_mesh(sweep_devices: int = 1,
              devices: Sequence[jax.Device] | None = None) -> Mesh:
  """A ('sweep', 'data') mesh: `sweep_devices` rows, the rest data parallel.

  Args:
    sweep_devices: size of the 'sweep' axis (devices that hold different models).
    devices: default all devices of all processes.
  """
  devices = list(devices) if devices is not None else jax.devices()
  if sweep_devices < 1 or len(devices) % sweep_devices:
    raise MeshError(f'sweep_devices={sweep_devices} must be a positive divisor '
                    f'of the number of devices ({len(devices)})')
  # Auto axes let jit propagate shardings from the batch constraint alone.
  return jax.make_mesh((sweep_devices, len(devices) // sweep_devices), AXES,
                       axis_types=(AxisType.Auto,) * 2, devices=devices)


def check_divisible(num_models: int, batch_size: int, mesh: Mesh) -> None:
  """Raises MeshError naming the numbers when models or batch do not split evenly."""
  sweep, data = mesh.shape['sweep'], mesh.shape['data']
  if num_models % sweep:
    raise MeshError(f'{num_models} models cannot be split over {sweep} sweep '
                    f'devices; use a number of models divisible by {sweep}, or a mesh '
                    'whose sweep_devices divides it (make_mesh; the '
                    "launchers' lambda_sweep.sweep_devices)")
  if batch_size <= 0 or batch_size % data:
    raise MeshError(f'batch_size={batch_size} must be a positive multiple of '
                    f'the number of data-parallel devices ({data})')


def replicated(mesh: Mesh) -> NamedSharding:
  return NamedSharding(mesh, P())


def stacked(mesh: Mesh) -> NamedSharding:
  """Leading model axis split over 'sweep'."""
  return NamedSharding(mesh, P('sweep'))


def batch_sharded(mesh: Mesh) -> NamedSharding:
  """Per-model batch axis split over 'data' (inside the vmap over models)."""
  return NamedSharding(mesh, P('data'))


def place(tree, sharding: NamedSharding):
  """Global arrays with `sharding` from a tree every process holds in full."""
  def put(leaf):
    host = np.asarray(jax.device_get(leaf))
    return jax.make_array_from_process_local_data(sharding, host, host.shape)
  return jax.tree.map(put, tree)


def to_host(tree):
  """Numpy copies of global arrays, complete on every process (host arrays
  are returned as they are: gathering them would concatenate the processes')."""
  def get(leaf):
    if isinstance(leaf, jax.Array):
      return np.asarray(multihost_utils.process_allgather(leaf, tiled=True))
    return np.asarray(leaf)
  return jax.tree.map(get, tree)
