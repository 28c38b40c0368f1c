"""The examples of docs/api.md run as written and their losses fall."""

import os
import re

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def code_blocks(path):
  with open(path) as f:
    return re.findall(r'```python\n(.*?)```', f.read(), flags=re.DOTALL)


def test_api_doc_has_two_examples():
  assert len(code_blocks(os.path.join(REPO, 'docs', 'api.md'))) == 2


@pytest.mark.parametrize('index', [0, 1], ids=['plain JAX + optax', 'Flax NNX'])
def test_api_examples_run_and_their_losses_fall(index):
  namespace = {'__name__': f'api_example_{index}'}
  exec(code_blocks(os.path.join(REPO, 'docs', 'api.md'))[index], namespace)  # pylint: disable=exec-used
  losses = namespace['losses']
  assert sum(losses[-20:]) / 20 < 0.5 * sum(losses[:20]) / 20, (losses[:3], losses[-3:])
  if index == 0:  # step 2 learns too, against the frozen decoders
    marginal = namespace['marginal_losses']
    assert sum(marginal[-20:]) / 20 < 0.7 * sum(marginal[:20]) / 20
    assert namespace['y_samples'].shape == (8, 16)
