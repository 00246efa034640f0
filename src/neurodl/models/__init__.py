"""Torch modules only: MLPs, CNN cores, readouts and the curriculum's networks.

Nothing here knows about numpy, files or training loops.
"""

from neurodl.models.cnn import *  # noqa: F403
from neurodl.models.cnn import __all__ as _cnn
from neurodl.models.dale import *  # noqa: F403
from neurodl.models.dale import __all__ as _dale
from neurodl.models.keypoints import *  # noqa: F403
from neurodl.models.keypoints import __all__ as _keypoints
from neurodl.models.learning_rules import *  # noqa: F403
from neurodl.models.learning_rules import __all__ as _rules
from neurodl.models.mlp import *  # noqa: F403
from neurodl.models.mlp import __all__ as _mlp
from neurodl.models.recurrent import *  # noqa: F403
from neurodl.models.recurrent import __all__ as _recurrent
from neurodl.models.tilt import *  # noqa: F403
from neurodl.models.tilt import __all__ as _tilt

__all__ = [*_cnn, *_dale, *_keypoints, *_rules, *_mlp, *_recurrent, *_tilt]
