"""The one base class of every error wyner_jax raises about what it was given.

Launchers catch `WynerError` alone and print its message as one line: the
message names the bad value and what to do. The subclasses say which part of
the input was wrong; they also derive from the matching built-in type
(ValueError, TypeError, FloatingPointError) so that existing `except` clauses
still hold.
"""


class WynerError(Exception):
  """Input (config, data, checkpoints, devices) or training that cannot go on.

  Attributes:
    args: (message,): one line naming the bad value, what is allowed and
      what to do.
  """


class NonFiniteError(WynerError, FloatingPointError):
  """The loss or a gradient became NaN or infinite; nothing was saved for that step.

  Attributes:
    args: (message,): the step, the non-finite terms and what to try.
  """


class ArgumentError(WynerError, ValueError):
  """A value a function or a model was given is not allowed (a number out of
  range, a count that is not an int >= 1, a choice not offered).

  Attributes:
    args: (message,): `name=value is not allowed; use ...`.
  """


class ArgumentTypeError(WynerError, TypeError):
  """An argument is not the kind of object its role needs (a family that is
  not a latent family, a number that is not a number).

  Attributes:
    args: (message,): `name=value is not ...; use ...`.
  """
