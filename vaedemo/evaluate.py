"""Test-set figures in nats per image: the same numbers as pytorch/examples' vae `Test set loss`."""
import torch

from .models import AutoEncoder


@torch.inference_mode()
def evaluate(model: AutoEncoder, images: torch.Tensor, beta: float = 1.0, batch_size: int = 1000) -> dict:
    """Mean -ELBO (AE: recon BCE), recon and KL per image, one posterior sample per image."""
    was_training = model.training
    model.eval()
    totals = torch.zeros(3, dtype=torch.float64)
    for batch in images.split(batch_size):
        totals += torch.tensor([t.item() for t in model.loss(batch, beta)], dtype=torch.float64)
    model.train(was_training)
    loss, recon, kl = (totals / len(images)).tolist()
    return {"test_loss": loss, "test_recon": recon, "test_kl": kl}
