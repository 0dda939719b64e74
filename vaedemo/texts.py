"""The library's English texts that the app shows too, written once: what a training job says (by kind: a message is
a list of parts (kind, values), which Progress.message writes in English) and the training curves' labels. The app's
English catalogue takes them from here; its Chinese one translates each. No torch here: the app reads them before the
models load."""

JOB_MESSAGES = {
    "queued": "Waiting in line: {place} of {waiting}, starting in about {seconds} s.",
    "abandoned": "Nobody looked at this run for {seconds} s (was its tab closed?), so it was stopped.",
    "stopped_early": "Stopped before it started.",
    "could_not_run": "Could not run the training: {error}",
    "line_busy": "The training line does not answer just now ({error}): press Start again in a moment.",
    "line_unreachable": "The training line does not answer just now ({error}). The run goes on; its figures come "
                        "once the line answers again.",
    "starting": "Starting the training process...",
    "stopped": "Stopped.",
    "crashed": "The training process ended unexpectedly (exit code {code}).",
    "loading": "Loading {title}...",
    "data_log": "{text}",
    "training": "Training on {images:,} {title} images.",
    "batch_note": "Batch size {batch_size} is larger than the {images:,} training images, so each step uses all "
                  "{images:,}.",
    "data_unavailable": "{error}",
    "failed": "Training failed: {error}",
    "bad_checkpoint": "{error}",
    "diverged": "The loss blew up (NaN or huge) in epoch {epoch}: the learning rate is too high.",
    "kept": "Kept the model from the end of epoch {epoch}.",
    "no_model": "No epoch finished, so there is no model.",
    "stopped_during": "Stopped during epoch {epoch}; the model is as far as it got.",
    "finished_one": "Finished: 1 epoch trained.",
    "finished": "Finished: {epochs} epochs trained.",
    "room_learning": "Learning this room's handwriting: the shipped VAE-2D trains {epochs} epochs more on the room's "
                     "{drawings} drawings.",
    "room_measuring": "Measuring −log p(x) of the {drawings} drawings under both models...",
    "room_learned": "Learned from the room's {drawings} drawings.",
    "room_not_kept": "The room could not keep its model: {error}",
}

CURVE_LABELS = {
    "recon": "Reconstruction (BCE)",
    "kl": "KL divergence",
    "active": "Active units (of {latent_dim})",
    "train": "train (batches)",
    "test": "test (10,000 images)",
    "active_axis": "dimensions with KL > {kl} nats",
    "epoch": "epoch",
    "nats": "nats per image",
}
