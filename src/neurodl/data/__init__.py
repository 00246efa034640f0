"""Recordings: the data object, file formats and the V1 simulator."""

from neurodl.data.io import describe_nwb, load, load_meta, save
from neurodl.data.recording import Recording
from neurodl.data.simulate import simulate_v1

__all__ = ["Recording", "describe_nwb", "load", "load_meta", "save", "simulate_v1"]
