"""The network's private certificate authority and one TLS certificate per homeserver.

Federation is HTTPS only; every homeserver trusts the network CA through
``federation_custom_ca_list``. Server names are IP literals on loopback, so each
certificate carries an ``IPAddress`` subject-alternative name (and a DNS one when the
server name is a host name, for production).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from collections.abc import Sequence
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from coopnet.keys import write_private

CA_VALIDITY = dt.timedelta(days=3650)
SERVER_VALIDITY = dt.timedelta(days=825)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def create_ca(cert_path: Path, key_path: Path, network_name: str) -> None:
    """Create a self-signed network CA (ECDSA P-256) at the given paths."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "CoopNet"),
            x509.NameAttribute(NameOID.COMMON_NAME, f"CoopNet network CA ({network_name})"),
        ]
    )
    now = _now()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + CA_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    write_private(key_path, _key_pem(key))
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def _general_name(name: str) -> x509.GeneralName:
    host = name.rsplit(":", 1)[0] if name.count(":") == 1 else name
    try:
        return x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        return x509.DNSName(host)


def _subject_alt_name(
    server_name: str, extra_names: Sequence[str] = ()
) -> x509.SubjectAlternativeName:
    names: list[x509.GeneralName] = []
    for name in (server_name, *extra_names):
        general = _general_name(name)
        if general not in names:
            names.append(general)
    return x509.SubjectAlternativeName(names)


def issue_server_certificate(
    server_name: str,
    ca_cert_path: Path,
    ca_key_path: Path,
    cert_path: Path,
    key_path: Path,
    extra_names: Sequence[str] = (),
    valid_until: dt.datetime | None = None,
) -> None:
    """Issue a TLS server certificate for ``server_name`` signed by the network CA.

    ``extra_names`` adds subject-alternative names (a production homeserver reached under
    another host name than its server name). ``valid_until`` replaces the usual validity
    (the reliability suite issues an expired certificate with it).
    """
    ca_cert = x509.load_pem_x509_certificate(ca_cert_path.read_bytes())
    ca_key = serialization.load_pem_private_key(ca_key_path.read_bytes(), password=None)
    if not isinstance(ca_key, ec.EllipticCurvePrivateKey):
        raise TypeError("the network CA key must be an EC key")
    key = ec.generate_private_key(ec.SECP256R1())
    now = _now()
    not_after = valid_until or now + SERVER_VALIDITY
    not_before = min(now - dt.timedelta(minutes=5), not_after - dt.timedelta(days=1))
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, server_name)]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(_subject_alt_name(server_name, extra_names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
            ),
            critical=False,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    write_private(key_path, _key_pem(key))
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
