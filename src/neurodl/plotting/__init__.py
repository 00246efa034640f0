"""Plots: every ``plot_*`` function takes ``ax=None`` and returns its Axes or Figure.

Library code never calls ``plt.show()`` or ``savefig``; the CLI saves figures through one helper.
"""
