"""Torch modules only: MLPs, CNN cores, readouts and the curriculum's networks.

Nothing here knows about numpy, files or training loops.
"""
