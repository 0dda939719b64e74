"""English words in a page that should be Chinese: runs of two or more English words, outside formulas and the names
that stay as they are (MNIST, VAE, KL, ...)."""
import re

NAMES = (r"Fashion-MNIST|MNIST|CVAE|VAE|AE|ELBO|KL|PCA|MLP|BCE|NaN|Burda|Kingma|Welling|van den Oord|et al\.|"
         r"safetensors|vaedemo")
ENGLISH_RUN = re.compile(r"[A-Za-z]{2,}(?:[\s,;:'’-]+[A-Za-z]{2,})+")


def english_runs(text: str) -> list[str]:
    text = re.sub(r"\$[^$]*\$", lambda formula: " ".join(re.findall(r"\\text\{([^}]*)\}", formula[0])), text)
    text = re.sub(NAMES, " ", text)
    return ENGLISH_RUN.findall(text)
