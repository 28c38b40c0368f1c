"""Orbax checkpoints, one CheckpointManager per training step.

WORKDIR/checkpoints/joint/ and WORKDIR/checkpoints/marginal/ each hold
`state` (the TrainState pytree) and `metrics` (JSON: the train metrics of the
saved step), written together and atomically by Orbax, so a step resumes, or
is skipped when finished, independently of the other.
"""

import os
from typing import Any

import jax
import orbax.checkpoint as ocp


class PhaseCheckpoints:
  """Saves and restores the train state of one training step (phase)."""

  def __init__(self, directory: str, max_to_keep: int = 2):
    self.directory = os.path.abspath(directory)
    self._manager = ocp.CheckpointManager(
        self.directory,
        options=ocp.CheckpointManagerOptions(max_to_keep=max_to_keep,
                                             create=True))

  def latest_step(self) -> int | None:
    return self._manager.latest_step()

  def save(self, step: int, state: Any, metrics: dict[str, float]) -> None:
    """Saves and waits, so a checkpoint reported saved is on disk."""
    if step in self._manager.all_steps():
      return  # Orbax would return False silently; the state there is the same.
    self._manager.save(step, args=ocp.args.Composite(
        state=ocp.args.StandardSave(state),
        metrics=ocp.args.JsonSave(metrics)))
    self._manager.wait_until_finished()

  def restore(self, step: int, like: Any) -> tuple[Any, dict[str, float]]:
    """Restores `step` into the structure, shapes and shardings of `like`."""
    abstract = jax.tree.map(ocp.utils.to_shape_dtype_struct, like)
    restored = self._manager.restore(step, args=ocp.args.Composite(
        state=ocp.args.StandardRestore(abstract),
        metrics=ocp.args.JsonRestore()))
    return restored.state, dict(restored.metrics)

  def close(self) -> None:
    self._manager.close()
