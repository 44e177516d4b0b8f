# One image for every Fupin service; docker-compose.yml picks the command.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY requirements.lock .
RUN pip install --no-cache-dir --require-hashes -r requirements.lock
COPY pyproject.toml alembic.ini ./
COPY services ./services
COPY tools ./tools
COPY migrations ./migrations
RUN pip install --no-cache-dir --no-deps . && useradd --system fupin
USER fupin
EXPOSE 8000
