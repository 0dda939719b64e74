# Hugging Face Spaces (Docker SDK) image: the app on the shipped weights, as uid 1000, port 8501.
# Nothing trains or downloads at start-up; the pages use the shipped checkpoints and test sample.
FROM python:3.11-slim

# HAProxy puts several app processes behind the one port when VAEDEMO_PROCESSES asks for them (webapp/serve.py).
RUN apt-get update && apt-get install -y --no-install-recommends haproxy && rm -rf /var/lib/apt/lists/*
RUN useradd --create-home --uid 1000 user
USER user
ENV HOME=/home/user \
    PATH=/home/user/.local/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    VAEDEMO_DATA=/home/user/data
WORKDIR $HOME/app

COPY --chown=user requirements.txt .
# torch's default Linux wheel pulls in gigabytes of CUDA libraries that a Space's CPU machine never uses: install
# the CPU build of the pinned torch and torchvision first (the same versions as requirements.txt, which pip then
# finds satisfied), then the rest.
ARG TORCH_INDEX=https://download.pytorch.org/whl/cpu
RUN pip install --no-cache-dir --user --index-url $TORCH_INDEX torch==2.14.1 torchvision==0.29.1 \
 && pip install --no-cache-dir --user -r requirements.txt

COPY --chown=user . .
# Streamlit's files compressed and its fonts cut now, once, rather than on the first visitor's time after a wake-up.
RUN python -m hall.compression

EXPOSE 8501
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=4)"

# `streamlit run app.py`, or with the Space variable VAEDEMO_PROCESSES=2 two of them behind HAProxy: a lecture hall's
# load (docs/deployment.md). XSRF protection is off here only: behind the Spaces proxy the file uploader answers 403
# with it on (streamlit issues 5793 and 9397). .streamlit/config.toml keeps it on everywhere else.
CMD ["python", "-m", "webapp.serve", "--server.port=8501", "--server.address=0.0.0.0", \
     "--server.enableXsrfProtection=false"]
