"""The CNN encoding model: a shared convolutional core and a factorised readout per neuron."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
import torch
from numpy.typing import ArrayLike, NDArray
from sklearn.utils.validation import check_is_fitted

from neurodl.encoding._base import EncoderBase
from neurodl.encoding._readout_start import (
    inverse_output,
    receptive_field_centres,
    start_floor,
    start_readout,
)
from neurodl.encoding._run_settings import holds_out_validation
from neurodl.encoding._validation import (
    check_choice,
    check_fit_data,
    check_image_size,
    check_images,
    check_positive,
)
from neurodl.exceptions import NeurodlValueError
from neurodl.models.cnn import EncodingCNN, EnsembleCNN
from neurodl.stimuli import make_filter_bank
from neurodl.training import TrainResult, resolve_device, seed_from, train_module

__all__ = ["CNNEncoder", "receptive_field_centres"]

logger = logging.getLogger(__name__)

_EPS = 1e-6


def _poisson_loss(
    module: torch.nn.Module, images: torch.Tensor, target: torch.Tensor
) -> torch.Tensor:
    rate = module(images)
    return (rate - target * torch.log(rate + _EPS)).mean()


def _mse_loss(module: torch.nn.Module, images: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return ((module(images) - target) ** 2).mean()


def _mean_correlation(module: torch.nn.Module, images: torch.Tensor, target: torch.Tensor) -> float:
    prediction = torch.cat([module(images[i : i + 512]) for i in range(0, len(images), 512)])
    p = prediction - prediction.mean(0)
    t = target - target.mean(0)
    denominator = torch.sqrt((p**2).sum(0) * (t**2).sum(0))
    r = (p * t).sum(0) / denominator.clamp_min(1e-12)
    return float(r[denominator > 0].mean()) if bool((denominator > 0).any()) else 0.0


def _readout_penalty(module: torch.nn.Module) -> torch.Tensor:
    assert isinstance(module, EncodingCNN)
    return module.readout.penalty()


class CNNEncoder(EncoderBase):
    """Predict every neuron's response to an image with a shared CNN core and per-neuron readouts.

    The core is a stack of convolutions (batch norm, ELU) shared by all neurons; each neuron reads
    it out through a low-rank spatial mask times a vector of feature weights, then an output
    nonlinearity. Trained with :func:`neurodl.training.train_module` (AdamW, mini-batches, early
    stopping on the mean validation correlation, best weights restored).

    Parameters
    ----------
    channels : sequence of int
        Channels of each core layer.
    kernel_sizes : sequence of int
        Kernel side (odd) of each core layer, as long as ``channels``. The default core is a
        wide first layer (32 filters of 13 x 13 pixels at half resolution, about the size of a
        mouse V1 receptive field in the simulator's 48 x 64 images) and a 1 x 1 mixing layer of
        32 channels; on simulated V1 data it matched deeper 5 x 5 and 7 x 7 cores, and a third
        3 x 3 layer, at a fraction of the cost (benchmark FEVE 0.805 with a third layer against
        0.801 without, 16 mixing channels each), while 32 mixing channels beat 16 (0.823 against
        0.801 without energy channels, 0.843 against 0.822 with them).
    downsample : int
        Average-pool the images by this factor before the core (speed; 1 keeps every pixel).
        On the benchmark, 3 (with 9 x 9 filters) scored 0.817 against 0.843 for 2, in about
        half the time.
    energy : bool
        The first layer also passes on its squared outputs (local oriented energy) to the next
        layer, beside their ELU. Complex cells respond to energy, which piecewise-linear units
        approximate poorly: on the benchmark their mean FEVE rose from 0.742 to 0.796, and the
        mean over all reliable neurons from 0.801 to 0.822 (16 mixing channels).
    fine_channels : int
        Extra first-layer filters (``kernel_sizes[0]`` pixels across, started from the same
        filter bank, so tuned to about twice the spatial frequency) applied to the images at
        full resolution; their ELU and squared outputs are average-pooled to the core's
        resolution and passed on beside the first layer's. The downsampling aliases what varies
        within a pooling block, so a filter at half resolution cannot hold the small,
        high-frequency receptive fields; rectifying and squaring before the pooling keeps their
        energy. Used only when ``downsample`` > 1. On the benchmark (one network, all 4,000
        images, seed 0) 8 of them raised FEVE from 0.845 to 0.850 and 16 to 0.855, mostly on
        neurons preferring more than 4.9 cycles per image width (0.764 to 0.794 with 8); for
        the ensemble of two (12 epochs), 0.855 to 0.864 (about a third more time).
    readout : {"factorised", "gaussian"}
        Each neuron's spatial readout: a free low-rank mask (``mask_rank`` row and column
        profiles) or a Gaussian mask with a learned centre and width (3 parameters a neuron).
        Both multiply the pooled features by per-neuron feature weights. On the simulated
        benchmark (1,000 neurons, 4,000 noise images) the factorised mask scored mean FEVE
        0.806 against 0.780 for the Gaussian one, which also needed twice the epochs.
    init_readout : {"data", "centres", "random"}
        "centres" starts each neuron's mask at the peak of its correlation with the first
        layer's local energy (see :func:`receptive_field_centres`) with small random feature
        weights; "data" (default) also starts the feature weights and bias at the ridge
        regression of the neuron's responses on the initial core's features under that mask
        (see :func:`neurodl.encoding._readout_start.start_readout`); "random" starts masks
        anywhere. Starting the masks from the data raised the benchmark's FEVE from 0.740 to
        0.781 (with ``lr_decay_steps=2``); the ridge start made short fits on few images
        depend less on the seed (quick run_encoding on a small simulated recording, 20 epochs,
        seeds 0-9: FEVE 0.741-0.803 against 0.706-0.828 from the centres alone).
    mask_rank : int
        Rank of each neuron's spatial mask (1: a row profile times a column profile); only
        with ``readout="factorised"``.
    init_filters : {"filter_bank", "random"}
        Initialise the first layer from :func:`neurodl.stimuli.make_filter_bank` or randomly.
    output : {"auto", "elu1", "softplus", "shifted_elu", "identity"}
        Output nonlinearity. "elu1" (ELU + 1) and "softplus" are positive; "shifted_elu" is
        ELU plus a learned floor per neuron (a rectifying output whose lowest value may be
        negative); "identity" is linear. "auto" (default) takes responses of any sign: "elu1"
        when every training response is >= 0 (spike counts, deconvolved events), "shifted_elu"
        otherwise (dF/F, z-scored or baseline-subtracted responses); the choice is stored in
        ``output_``. On z-scored responses of simulated LN neurons, "shifted_elu" scored FEVE
        0.727-0.790 (3 seeds) where "identity" scored 0.648-0.733 and "elu1" on the raw
        responses 0.748-0.808. "elu1" and "softplus" are refused when a training response is
        negative.
    loss : {"auto", "poisson", "mse"}
        "auto" uses Poisson with a positive output ("elu1", "softplus") and squared error
        otherwise. Poisson is refused when a training response is negative or the output can
        be.
    alpha : float
        AdamW weight decay.
    readout_l1 : float
        L1 penalty on the readout masks and feature weights (per neuron). Single-trial
        responses are noisy, so the readouts over-fit without it: on the benchmark FEVE was
        0.781 at 1e-4, 0.790 at 1e-3, 0.806 at 5e-3, 0.758 at 1e-2 and 0.713 at 2e-2.
    batch_size : int
    learning_rate_init : float
    max_iter : int
        Maximum number of epochs (of each ensemble member).
    lr_schedule : {"cosine", "plateau"}
        "cosine": the learning rate falls from ``learning_rate_init`` to 0 along a half cosine
        over ``max_iter`` epochs. "plateau": a constant rate, lowered ``lr_decay_steps`` times
        when the validation correlation stalls. On the benchmark 12 cosine epochs matched 26
        plateau epochs (FEVE 0.842 for both).
    ensemble_size : int
        Train this many networks, each from its own random start, validation split and batch
        order, and predict the mean of their responses (each member costs one network's fit).
        On the benchmark two networks of 12 cosine epochs scored mean FEVE 0.856 (a 127 s fit on
        2 cores), against 0.842 and 0.834 for single networks of two seeds; two of 10 epochs
        scored 0.852 (an earlier core, with early stopping). The defaults (two networks of 10
        epochs on every image, ``fine_channels=8``) scored 0.858 in a 170 s fit on 2 cores
        (0.860-0.864 with other random starts of 10 and 12 epochs; 12 epochs took 235 s).
    early_stopping : bool or "auto"
        Hold out ``validation_fraction`` of the training images and keep the epoch with the best
        mean validation correlation; stop after ``n_iter_no_change`` epochs without improvement.
        "auto" (default) does so below ``AUTO_EARLY_STOPPING_IMAGES`` (2,000) training images
        and trains on every image above; the choice is stored in ``early_stopping_``. With few
        images the networks over-fit before the schedule ends and the best epoch matters (600
        images of 12 simulated LN neurons: FEVE 0.709-0.831, median 0.779, over seeds 0-9 with
        early stopping, 0.720-0.750, median 0.736, without); with many, the held-out tenth is
        worth more as training data (the 4,000-image benchmark: FEVE 0.845 against 0.835 for
        one network, 0.855 against 0.845 for the ensemble of two, without ``fine_channels``).
        Without early stopping ``validation_scores_`` is empty.
    validation_fraction : float
    n_iter_no_change : int
    lr_decay_steps : int
        With ``lr_schedule="plateau"``: when the validation correlation stalls for
        ``n_iter_no_change`` epochs, go back to the best weights and multiply the learning rate
        by ``lr_decay_factor``, this many times before stopping.
    lr_decay_factor : float
    tol : float
    random_state : int or None
    device : str
        "cpu", "cuda", "cuda:N", "mps" or "auto".
    verbose : int
        0 silent; 1 shows a progress bar on a terminal; 2 always shows it.

    Attributes
    ----------
    module_ : neurodl.models.cnn.EncodingCNN or neurodl.models.cnn.EnsembleCNN
        The trained network, or the ensemble of them (on ``device_``).
    member_results_ : list of neurodl.training.TrainResult
        Each member's training curves, epochs and best epoch.
    loss_curve_, validation_scores_ : ndarray of shape (epochs,)
        The first member's training loss and validation score (higher is better) per epoch,
        named as :class:`~neurodl.decoding.MLPDecoder`'s (and scikit-learn's MLP).
    n_iter_ : int
        Epochs run, summed over the members.
    best_epoch_ : int
        The first member's.
    early_stopping_ : bool
        Whether validation images were held out (see ``early_stopping``).
    loss_ : str
        The loss used ("poisson" or "mse").
    output_ : str
        The output nonlinearity used ("elu1", "softplus", "shifted_elu" or "identity").
    response_scale_ : ndarray of shape (n_neurons,)
        Training responses are divided by this before fitting; predictions are multiplied back.
    image_size_ : (height, width)
    n_neurons_ : int
    seed_ : int
    device_ : str

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> images = rng.standard_normal((128, 12, 12)).astype("float32")
    >>> responses = np.maximum(images[:, 6, 5:8], 0)
    >>> model = CNNEncoder(channels=(4,), kernel_sizes=(3,), max_iter=2, random_state=0)
    >>> model.fit(images, responses).predict(images).shape
    (128, 3)
    """

    def __init__(
        self,
        *,
        channels: Sequence[int] = (32, 32),
        kernel_sizes: Sequence[int] = (13, 1),
        downsample: int = 2,
        energy: bool = True,
        fine_channels: int = 8,
        readout: str = "factorised",
        init_readout: str = "data",
        mask_rank: int = 1,
        init_filters: str = "filter_bank",
        output: str = "auto",
        loss: str = "auto",
        alpha: float = 1e-4,
        readout_l1: float = 5e-3,
        batch_size: int = 64,
        learning_rate_init: float = 5e-3,
        max_iter: int = 10,
        lr_schedule: str = "cosine",
        ensemble_size: int = 2,
        early_stopping: bool | str = "auto",
        validation_fraction: float = 0.1,
        n_iter_no_change: int = 5,
        lr_decay_steps: int = 2,
        lr_decay_factor: float = 0.3,
        tol: float = 0.0,
        random_state: int | None = None,
        device: str = "cpu",
        verbose: int = 0,
    ) -> None:
        self.channels = channels
        self.kernel_sizes = kernel_sizes
        self.downsample = downsample
        self.energy = energy
        self.fine_channels = fine_channels
        self.readout = readout
        self.init_readout = init_readout
        self.mask_rank = mask_rank
        self.init_filters = init_filters
        self.output = output
        self.loss = loss
        self.alpha = alpha
        self.readout_l1 = readout_l1
        self.batch_size = batch_size
        self.learning_rate_init = learning_rate_init
        self.max_iter = max_iter
        self.lr_schedule = lr_schedule
        self.ensemble_size = ensemble_size
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.lr_decay_steps = lr_decay_steps
        self.lr_decay_factor = lr_decay_factor
        self.tol = tol
        self.random_state = random_state
        self.device = device
        self.verbose = verbose

    # ------------------------------------------------------------------ checks
    def _check_params(self) -> tuple[list[int], list[int]]:
        channels = [int(c) for c in np.atleast_1d(np.asarray(self.channels))]
        kernels = [int(k) for k in np.atleast_1d(np.asarray(self.kernel_sizes))]
        if not channels or min(channels) < 1:
            raise NeurodlValueError(
                f"channels must be a non-empty sequence of ints >= 1; got {self.channels!r}."
            )
        if len(kernels) != len(channels) or min(kernels) < 1 or any(k % 2 == 0 for k in kernels):
            raise NeurodlValueError(
                f"kernel_sizes must hold one odd int >= 1 per layer ({len(channels)}); got "
                f"{self.kernel_sizes!r}."
            )
        for name in (
            "downsample",
            "mask_rank",
            "batch_size",
            "max_iter",
            "n_iter_no_change",
            "ensemble_size",
        ):
            check_positive(name, getattr(self, name), integer=True)
        for name in ("learning_rate_init",):
            check_positive(name, getattr(self, name))
        check_positive("lr_decay_steps", self.lr_decay_steps, integer=True, allow_zero=True)
        check_positive("fine_channels", self.fine_channels, integer=True, allow_zero=True)
        if not 0.0 < float(self.lr_decay_factor) < 1.0:
            raise NeurodlValueError(
                f"lr_decay_factor must lie in (0, 1); got {self.lr_decay_factor!r}."
            )
        for name in ("alpha", "readout_l1", "tol"):
            check_positive(name, getattr(self, name), allow_zero=True)
        check_choice("readout", self.readout, ("gaussian", "factorised"))
        check_choice("lr_schedule", self.lr_schedule, ("cosine", "plateau"))
        check_choice("init_readout", self.init_readout, ("data", "centres", "random"))
        check_choice("init_filters", self.init_filters, ("filter_bank", "random"))
        check_choice("output", self.output, ("auto", "elu1", "softplus", "shifted_elu", "identity"))
        check_choice("loss", self.loss, ("auto", "poisson", "mse"))
        if not 0.0 < float(self.validation_fraction) < 1.0:
            raise NeurodlValueError(
                f"validation_fraction must lie in (0, 1); got {self.validation_fraction!r}."
            )
        if self.init_filters == "filter_bank" and (channels[0] < 3 or kernels[0] < 3):
            raise NeurodlValueError(
                "init_filters='filter_bank' needs channels[0] >= 3 and kernel_sizes[0] >= 3; got "
                f"{channels[0]} and {kernels[0]} (use init_filters='random')."
            )
        return channels, kernels

    def _resolve_output(self, target: NDArray[np.float32]) -> tuple[str, str]:
        """The output nonlinearity and loss for these training responses."""
        lowest = float(target.min())
        output = self.output
        if output == "auto":
            output = "elu1" if lowest >= 0 else "shifted_elu"
        loss = self.loss
        if loss == "auto":
            loss = "poisson" if output in ("elu1", "softplus") else "mse"
        if loss == "poisson" and lowest < 0:
            raise NeurodlValueError(
                f"responses: loss='poisson' needs responses >= 0; the lowest is {lowest:.4g} "
                "(use loss='mse' or loss='auto')."
            )
        if loss == "poisson" and output not in ("elu1", "softplus"):
            raise NeurodlValueError(
                f"loss='poisson' needs a positive output ('elu1' or 'softplus'); got "
                f"output={output!r}."
            )
        if output in ("elu1", "softplus") and lowest < 0:
            raise NeurodlValueError(
                f"responses: output={output!r} cannot predict negative responses; the lowest is "
                f"{lowest:.4g} (use output='auto', 'shifted_elu' or 'identity')."
            )
        return output, loss

    # ------------------------------------------------------------------ fitting
    def _build(
        self, channels: list[int], kernels: list[int], n_neurons: int, output: str
    ) -> EncodingCNN:
        first = fine = None
        n_fine = int(self.fine_channels) if int(self.downsample) > 1 else 0
        if self.init_filters == "filter_bank":
            bank = make_filter_bank(kernels[0], n_orientations=channels[0] - 2)
            first = torch.from_numpy(bank[:, None] * 0.5)
            if n_fine >= 3:  # the same bank in full-resolution pixels: higher frequencies
                bank = make_filter_bank(kernels[0], n_orientations=n_fine - 2)
                fine = torch.from_numpy(bank[:, None] * 0.5)
        return EncodingCNN(
            self.image_size_,
            n_neurons,
            channels=channels,
            kernel_sizes=kernels,
            downsample=int(self.downsample),
            readout=self.readout,
            mask_rank=int(self.mask_rank),
            output=output,
            first_layer=first,
            energy=bool(self.energy),
            fine_channels=n_fine,
            fine_first_layer=fine,
        )

    def fit(self, images: ArrayLike, responses: ArrayLike) -> CNNEncoder:
        """Train the network on images and the responses they evoked.

        Parameters
        ----------
        images : array-like of shape (n_images, height, width)
        responses : array-like of shape (n_images, n_neurons) or (n_images,)
            One row per image (average repeats first, or pass each trial as its own row).

        Returns
        -------
        self
        """
        channels, kernels = self._check_params()
        data, target = check_fit_data(images, responses)
        output, loss = self._resolve_output(target)
        self.seed_ = seed_from(self.random_state)
        self.device_ = str(resolve_device(self.device))
        n = data.shape[0]
        if self.early_stopping not in (True, False, "auto"):
            raise NeurodlValueError(
                f"early_stopping must be True, False or 'auto'; got {self.early_stopping!r}."
            )
        self.early_stopping_ = holds_out_validation(self.early_stopping, n)
        n_val = round(float(self.validation_fraction) * n) if self.early_stopping_ else 0
        if self.early_stopping_ and n_val < 2:
            raise NeurodlValueError(
                f"images: early stopping needs at least 2 validation images; got {n} images with "
                f"validation_fraction={self.validation_fraction} (pass more images or "
                "early_stopping=False)."
            )
        if n - n_val < self.batch_size:
            raise NeurodlValueError(
                f"images: CNNEncoder needs at least batch_size={self.batch_size} training images"
                + (f" (after holding out {n_val} for validation)" if n_val else "")
                + f"; got {n - n_val}. Lower batch_size."
            )
        self.image_size_ = (int(data.shape[1]), int(data.shape[2]))
        self.n_neurons_ = int(target.shape[1])
        self.loss_ = loss
        self.output_ = output
        self.image_mean_ = float(data.mean())
        self.image_std_ = float(data.std()) or 1.0
        scale = target.std(0, dtype=np.float64)
        self.response_scale_ = np.where(scale > 0, scale, 1.0).astype(np.float32)
        scaled = (target / self.response_scale_).astype(np.float32)
        x = torch.from_numpy((data - self.image_mean_) / self.image_std_)
        y = torch.from_numpy(scaled)
        members, self.member_results_ = [], []
        for index in range(int(self.ensemble_size)):
            module, result = self._fit_member(
                x, y, channels, kernels, n_val, loss, self.seed_ + index, index
            )
            members.append(module)
            self.member_results_.append(result)
        self.module_ = members[0] if len(members) == 1 else EnsembleCNN(members).eval()
        first = self.member_results_[0]
        self.loss_curve_ = np.asarray(first.loss_curve)
        self.validation_scores_ = np.asarray(first.validation_curve)
        self.n_iter_ = sum(r.n_epochs for r in self.member_results_)
        self.best_epoch_ = first.best_epoch
        logger.info("CNNEncoder: %d member(s), %d epochs in all", len(members), self.n_iter_)
        return self

    def _fit_member(
        self,
        x: torch.Tensor,
        y: torch.Tensor,
        channels: list[int],
        kernels: list[int],
        n_val: int,
        loss: str,
        seed: int,
        index: int,
    ) -> tuple[EncodingCNN, TrainResult]:
        """Train one network from its own start, validation split and batch order."""
        rng = np.random.default_rng(seed)
        order = rng.permutation(x.shape[0])
        val_rows, train_rows = order[:n_val], order[n_val:]
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            module = self._build(channels, kernels, self.n_neurons_, self.output_)
        if self.init_readout == "data":
            start_readout(module, x[train_rows], y[train_rows], output=self.output_)
        else:
            if self.init_readout == "centres":
                centres = receptive_field_centres(module, x[train_rows], y[train_rows])
                module.readout.place(centres)
            with torch.no_grad():
                mean = y[train_rows].numpy().mean(0, dtype=np.float64)
                bias = inverse_output(mean, self.output_).astype(np.float32)
                module.readout.bias.copy_(torch.from_numpy(bias))
            start_floor(module, mean)
        l1 = float(self.readout_l1)
        size = int(self.ensemble_size)
        result = train_module(
            module,
            [x[train_rows], y[train_rows]],
            _poisson_loss if loss == "poisson" else _mse_loss,
            validation_data=[x[val_rows], y[val_rows]] if n_val else None,
            score_fn=_mean_correlation if n_val else None,
            penalty_fn=(lambda m: l1 * _readout_penalty(m)) if l1 > 0 else None,
            optimizer="adamw",
            learning_rate=float(self.learning_rate_init),
            weight_decay=float(self.alpha),
            batch_size=int(self.batch_size),
            max_epochs=int(self.max_iter),
            patience=int(self.n_iter_no_change),
            tol=float(self.tol),
            seed=seed,
            device=self.device_,
            progress=None if self.verbose == 1 else bool(self.verbose),
            description="CNNEncoder" if size == 1 else f"CNNEncoder {index + 1}/{size}",
            lr_decay_steps=int(self.lr_decay_steps),
            lr_decay_factor=float(self.lr_decay_factor),
            lr_schedule=self.lr_schedule,
        )
        return module, result

    # ------------------------------------------------------------------ prediction
    def _to_input(self, images: ArrayLike) -> torch.Tensor:
        data = check_images(images)
        check_image_size(data, self.image_size_)
        return torch.from_numpy((data - self.image_mean_) / self.image_std_)

    def predict(self, images: ArrayLike, *, batch_size: int = 256) -> NDArray[np.float32]:
        """Predicted response of every neuron to each image.

        Parameters
        ----------
        images : array-like of shape (n_images, height, width)
        batch_size : int
            Images evaluated at a time.

        Returns
        -------
        ndarray of shape (n_images, n_neurons)
        """
        check_is_fitted(self)
        x = self._to_input(images)
        module = self.module_.eval()
        out = []
        with torch.no_grad():
            for start in range(0, x.shape[0], batch_size):
                out.append(module(x[start : start + batch_size].to(self.device_)).cpu().numpy())
        return (np.concatenate(out) * self.response_scale_).astype(np.float32)

    def _members(self) -> list[EncodingCNN]:
        check_is_fitted(self)
        if isinstance(self.module_, EnsembleCNN):
            return list(self.module_.members)  # type: ignore[arg-type]
        return [self.module_]

    def first_layer_filters(self) -> NDArray[np.float32]:
        """The learned first-layer filters (of the first member), shape (channels[0], k, k)."""
        first = self._members()[0]
        return first.core.first_conv.weight.detach().cpu().numpy()[:, 0].copy()

    def readout_masks(self) -> NDArray[np.float32]:
        """Each neuron's spatial readout mask at the core's resolution, shape (n_neurons, h, w).

        For an ensemble, the members' mean mask.
        """
        with torch.no_grad():
            masks = [m.readout.masks() for m in self._members()]
            return (sum(masks[1:], masks[0]) / len(masks)).cpu().numpy()
