# One image for every TRACS process; the command picks the service (python -m services.<name>).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app

COPY pyproject.toml README.md ./
COPY shared ./shared
COPY services ./services
COPY tracs ./tracs
RUN pip install . && useradd --system --uid 10001 --home /app tracs && chown -R tracs /app

USER tracs
# Each service reads its port from TRACS_<SERVICE>_PORT; PORT is only for the healthcheck below.
ENV PORT=8000
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=6 \
  CMD python -c "import os, urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{os.environ[\"PORT\"]}/readyz', timeout=4)"
CMD ["python", "-m", "services.gateway"]
