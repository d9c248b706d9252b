# Synapse with CoopNet's federation gate (coopnet.federation_gate, named under modules:
# in the rendered homeserver.yaml) for deploy/compose.yaml. The gate needs nothing that
# Synapse does not already depend on (cryptography, PyYAML; checked by
# tests/unit/test_federation_gate.py), so CoopNet goes in without its dependencies: none
# of the bot's or the client's libraries enter the homeserver's image.
FROM docker.io/matrixdotorg/synapse:v1.163.2
COPY pyproject.toml README.md /tmp/coopnet/
COPY coopnet /tmp/coopnet/coopnet
RUN pip install --no-cache-dir --no-deps /tmp/coopnet \
    && rm -rf /tmp/coopnet \
    && python -c "import coopnet.federation_gate"
