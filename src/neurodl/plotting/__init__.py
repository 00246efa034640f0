"""Plots: every ``plot_*`` function takes ``ax=None`` and returns its Axes or Figure.

Library code never calls ``plt.show()`` or ``savefig``; results are saved by
:meth:`neurodl.AnalysisResult.save`. Importing this package imports matplotlib.
"""

from neurodl.plotting.brain import *  # noqa: F403
from neurodl.plotting.brain import __all__ as _brain
from neurodl.plotting.data import *  # noqa: F403
from neurodl.plotting.data import __all__ as _data
from neurodl.plotting.decoding import *  # noqa: F403
from neurodl.plotting.decoding import __all__ as _decoding
from neurodl.plotting.encoding import *  # noqa: F403
from neurodl.plotting.encoding import __all__ as _encoding
from neurodl.plotting.pose import *  # noqa: F403
from neurodl.plotting.pose import __all__ as _pose
from neurodl.plotting.pose_video import *  # noqa: F403
from neurodl.plotting.pose_video import __all__ as _pose_video
from neurodl.plotting.rsa import *  # noqa: F403
from neurodl.plotting.rsa import __all__ as _rsa

__all__ = [*_brain, *_data, *_decoding, *_encoding, *_pose, *_pose_video, *_rsa]
