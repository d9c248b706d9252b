"""Render the reverse proxy's configuration (nginx) for one authority (pure).

The proxy terminates TLS, serves ``.well-known/matrix``, forwards the client API and
federation to Synapse — to its worker processes by Synapse's documented endpoint lists
when the homeserver runs workers (:mod:`coopnet.admin.workers`) — and never exposes the
admin API (``/_synapse/admin``) or metrics. The file belongs in nginx's ``http`` context
(``conf.d/``). In a one-machine lab the client API is plain HTTP on the client port.
"""

from __future__ import annotations

from coopnet.admin import workers
from coopnet.admin.settings import AuthoritySettings
from coopnet.protocol.attachment import homeserver_upload_limit

# Publicly trusted certificate for the client API (e.g. from certbot / ACME).
LETSENCRYPT = "/etc/letsencrypt/live/{host}"


def upstream(s: AuthoritySettings) -> str:
    """The main process's client/federation listener."""
    host = "synapse" if s.target == "compose" else workers.local_host(s)
    return f"{host}:{s.client_port}"


def client_certificate(s: AuthoritySettings) -> tuple[str, str]:
    base = LETSENCRYPT.format(host=s.public_host)
    return f"{base}/fullchain.pem", f"{base}/privkey.pem"


def federation_certificate(s: AuthoritySettings) -> tuple[str, str]:
    if s.certificates == "public":
        return client_certificate(s)
    tls = s.root_path / "tls"
    return str(tls / "federation.crt"), str(tls / "federation.key")


def _proxy_block(s: AuthoritySettings, pattern: str) -> str:
    if s.workers.enabled:
        # Keep-alive connections to the upstreams (HTTP/1.1 without "Connection: close").
        target = 'http://$coopnet_upstream;\n        proxy_set_header Connection ""'
    else:
        target = f"http://{upstream(s)}"
    return f"""    location ~ {pattern} {{
        proxy_pass {target};
        proxy_set_header X-Forwarded-For $remote_addr;
        proxy_set_header X-Forwarded-Proto $scheme;
        proxy_set_header Host $host:$server_port;
        proxy_http_version 1.1;
        client_max_body_size {homeserver_upload_limit(s.max_document_bytes)};
        proxy_read_timeout 600s;
    }}
"""


def _client_server(s: AuthoritySettings, tls_params: str) -> str:
    if s.lab:
        # Lab on one machine: plain HTTP on the server's own address (never in production).
        return f"""# Clients in a one-machine lab: plain HTTP.
server {{
    listen {s.public_host}:{s.client_port};
    server_name {s.public_host};
"""
    cert, key = client_certificate(s)
    return f"""server {{
    listen 80;
    listen [::]:80;
    server_name {s.public_host};
    location /.well-known/acme-challenge/ {{ root /var/www/acme; }}
    location / {{ return 301 https://$host$request_uri; }}
}}

# Clients (officers' terminal clients, Element): publicly trusted certificate.
server {{
    listen 443 ssl;
    listen [::]:443 ssl;
    http2 on;
    server_name {s.public_host};
    ssl_certificate {cert};
    ssl_certificate_key {key};
{tls_params}"""


def _federation_listen(s: AuthoritySettings) -> str:
    if s.lab:
        return f"    listen {s.public_host}:{s.federation_port} ssl;\n"
    return "    listen 8448 ssl;\n    listen [::]:8448 ssl;\n"


def nginx_config(s: AuthoritySettings) -> str:
    fed_cert, fed_key = federation_certificate(s)
    well_known = s.root_path / "well-known"
    tls_params = """    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_prefer_server_ciphers off;
    ssl_session_cache shared:coopnet:10m;
"""
    routing = workers.nginx_routing(s, upstream(s)) + "\n" if s.workers.enabled else ""
    return f"""# CoopNet: reverse proxy of {s.server_name} ({s.id}). Rendered by 'coopnet admin
# add-authority'; re-render rather than edit. See deploy/README.md.

{routing}{_client_server(s, tls_params)}
    location /.well-known/matrix/ {{
        alias {well_known}/matrix/;
        default_type application/json;
        add_header Access-Control-Allow-Origin * always;
    }}
    # The admin API and metrics stay inside: 'coopnet admin' talks to Synapse directly.
    location /_synapse/admin {{ return 404; }}
{_proxy_block(s, "^(/_matrix|/_synapse/client)")}}}

# Federation with the other members of the network.
server {{
{_federation_listen(s)}    http2 on;
    server_name {s.public_host};
    ssl_certificate {fed_cert};
    ssl_certificate_key {fed_key};
{tls_params}
{_proxy_block(s, "^/_matrix/(federation|key)/")}}}
"""
