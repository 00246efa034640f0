"""
Brain-like networks and the controls that keep the comparison honest
====================================================================

Is a network more like V1 when it is built more like a brain? :mod:`neurodl.models` has
plain-torch building blocks for networks with Dale's law (each unit excitatory or inhibitory),
a learning rule other than backpropagation (feedback alignment) and recurrence (lateral and
top-down connections unrolled over time). :func:`~neurodl.rsa.run_rsa` trains each on the same
tilt task, several seeds each, and compares them with the data together with the controls
that the known traps call for:

* an **untrained twin** of every network (same architecture, random weights);
* a **pixel baseline** and a classic **V1 model** (Gabor energy model);
* the best layer **chosen on half of the conditions and scored on the other half** (choosing
  and scoring on the same data flatters every network);
* differences between networks tested against the **spread over training seeds**;
* **model recovery**: recordings simulated from each candidate, to see whether data like these
  could tell the candidates apart at all.
"""

import matplotlib.pyplot as plt
import numpy as np

import neurodl
from neurodl.plotting import plot_alignment_angles, plot_ei_weights
from neurodl.rsa import run_rsa
from neurodl.rsa.tilt import quick_settings, train_tilt_network

# sphinx_gallery_start_ignore
import os

QUICK = os.environ.get("NEURODL_DOCS_QUICK", "") not in ("", "0")
# sphinx_gallery_end_ignore

# %%
# Dale's law holds by construction
# --------------------------------
# In the Dale network every weight leaving a unit has that unit's sign, whatever the optimiser
# does (the effective weight is ``|raw weight| × sign``). Feedback alignment sends the error back
# through fixed random weights; the angle between its update and the true gradient falls below
# 90° as the forward weights align with the feedback.
dale, accuracy, _ = train_tilt_network(
    "dale", image_size=(24, 32), random_state=0, **quick_settings("dale")
)
fa, fa_accuracy, history = train_tilt_network(
    "fa", image_size=(24, 32), random_state=0, **quick_settings("fa")
)
print(f"held-out tilt accuracy: Dale {accuracy:.3f}, feedback alignment {fa_accuracy:.3f}")
fig, axes = plt.subplots(1, 2, figsize=(9, 3.4), layout="constrained")
layer = dale.fc
plot_ei_weights(
    layer.effective_weight().detach().numpy(),
    layer.excitatory.numpy(),
    title="Dale layer",
    ax=axes[0],
)
plot_alignment_angles(history.alignment_angles, ax=axes[1])

# %%
# Four networks, their twins and the controls, against one recording
# --------------------------------------------------------------------
n_neurons, n_trials, n_seeds = 300, 1200, 3
# sphinx_gallery_start_ignore
if QUICK:
    n_neurons, n_trials, n_seeds = 200, 600, 2
# sphinx_gallery_end_ignore
recording = neurodl.simulate_v1(n_neurons, n_trials, random_state=0)
result = run_rsa(
    recording,
    model="tilt-cnn,tilt-dale,tilt-fa,tilt-rcnn",
    quick=True,
    n_seeds=n_seeds,
    n_untrained=2,
    recovery=True,
    n_resamples=200,
    random_state=0,
)
for name, entry in {**result.metrics["models"], **result.metrics["controls"]}.items():
    print(
        f"{name:>9}: layer {entry['chosen_layer']:>9} chosen on half of the conditions, "
        f"held-out similarity {entry['held_out_similarity']:.3f}"
    )

# %%
# Each network by layer, its untrained twin (band over initialisations), the controls (lines)
# and the noise ceiling (grey band). The sentences say which differences exceed the spread over
# seeds and whether the data could tell the networks apart.
result.figures["model_similarity"]

# %%
print("\n".join(line for line in result.summary if "differ" in line or "recover" in line))

# %%
# Model recovery: rows are the network that generated a simulated recording, columns the one the
# comparison picked, at the simulated noise level whose ceiling is closest to the data's.
result.figures["recovery_confusion"]

# %%
# The accuracy of recovery over noise levels and neuron counts (chance is one in the number of
# candidates): where it is near chance, no comparison on such data can rank the networks.
accuracy = np.asarray(result.metrics["model_recovery"]["accuracy"])
print("recovery accuracy (noise levels x neuron counts):\n", np.round(accuracy, 2))
result.figures["recovery_accuracy"]
