# Hugging Face Spaces (Docker SDK) image: the app on the shipped weights, as uid 1000, port 8501.
# Nothing trains or downloads at start-up; the pages use the shipped checkpoints and test sample.
FROM python:3.11-slim

RUN useradd --create-home --uid 1000 user
USER user
ENV HOME=/home/user \
    PATH=/home/user/.local/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    VAEDEMO_DATA=/home/user/data
WORKDIR $HOME/app

COPY --chown=user requirements.txt .
RUN pip install --no-cache-dir --user -r requirements.txt

COPY --chown=user . .

EXPOSE 8501
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=4)"

# XSRF protection is off here only: behind the Spaces proxy the file uploader answers 403 with it
# on (streamlit issues 5793 and 9397). .streamlit/config.toml keeps it on everywhere else.
CMD ["python", "-m", "streamlit", "run", "app.py", "--server.port=8501", "--server.address=0.0.0.0", \
     "--server.enableXsrfProtection=false"]
