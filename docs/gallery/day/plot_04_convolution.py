"""
Convolution with centre-surround and Gabor filters
==================================================

Before a CNN learns its filters, the curriculum builds them by hand: a centre-surround filter
(a difference of Gaussians, like a retinal ganglion or LGN cell) and Gabor filters (like V1
simple cells) at several orientations. Convolving images with them shows what a convolutional
layer computes: a map of where in the image each filter's pattern is.
"""

import neurodl
from neurodl.encoding import compute_filter_responses
from neurodl.plotting import plot_activation_grid, plot_filter_bank
from neurodl.stimuli import filter_bank_names

# %%
# The filter bank
# ---------------
# :func:`~neurodl.stimuli.make_filter_bank` returns an array of shape
# ``(n_filters, size, size)``: centre-surround filters (on and off centre) and Gabor filters
# at four orientations.
bank = neurodl.make_filter_bank(9)
names = filter_bank_names()
print(bank.shape, names)
plot_filter_bank(bank, names=names)

# %%
# Gratings through the filters
# ----------------------------
# :func:`~neurodl.stimuli.make_grating` draws gratings of given orientations (degrees);
# :func:`~neurodl.encoding.compute_filter_responses` convolves each image with each filter
# (zero padding, same size out). A Gabor responds strongly only to gratings of its own
# orientation, the centre-surround filters to edges of any orientation.
gratings = neurodl.make_grating([0.0, 45.0, 90.0, 135.0], size=(48, 64))
activations = compute_filter_responses(gratings, bank)
print(activations.shape)  # (n_images, n_filters, height, width)
plot_activation_grid(gratings, activations, channel_names=names)

# %%
# Natural-like images
# -------------------
# 1/f noise images have every orientation at once; the Gabor maps pick out the local structure
# at their own orientation. These are the images the CNN encoder of the next example is
# trained on.
noise = neurodl.make_noise_images(3, size=(48, 64), random_state=0)
plot_activation_grid(noise, compute_filter_responses(noise, bank), channel_names=names)
