# The consultation bot (and the coopnet command) for deploy/compose.yaml.
FROM docker.io/library/python:3.11-slim
WORKDIR /src
COPY pyproject.toml README.md ./
COPY coopnet ./coopnet
COPY bots ./bots
COPY tui ./tui
RUN pip install --no-cache-dir . && useradd --uid 10001 --create-home coopnet
USER coopnet
ENTRYPOINT []
CMD ["coopnet", "--help"]
