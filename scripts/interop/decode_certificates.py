#!/usr/bin/env python3
"""Decodes healthcode's certificates with implementations that are not ours.

Reads one JSON object on standard input:
  {"dcc": "HC1:...", "dsc": "<base64 DER of the DCC signing certificate>",
   "shc": "shc:/...", "jwks": {"keys": [...]}}
verifies each signature (ES256, with the `cryptography` package), decodes the
payloads (base45, zlib, CBOR with `cbor2`; raw DEFLATE and JSON for the SMART
Health Card), and prints the names they carry:
  {"dcc": {"fn", "fnt", "gn", "gnt"}, "shc": {"family", "given"}}
Exits non-zero when a signature does not verify.
"""

import base64
import json
import sys
import zlib

import base45
import cbor2
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature


def der_signature(raw: bytes) -> bytes:
    """COSE and JWS carry ECDSA signatures as r || s; cryptography wants DER."""
    half = len(raw) // 2
    return encode_dss_signature(
        int.from_bytes(raw[:half], "big"), int.from_bytes(raw[half:], "big")
    )


def b64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def decode_dcc(hc1: str, dsc_b64: str) -> dict:
    assert hc1.startswith("HC1:"), "not an HC1 payload"
    cose = cbor2.loads(zlib.decompress(base45.b45decode(hc1[4:])))
    if isinstance(cose, cbor2.CBORTag):
        assert cose.tag == 18, f"COSE tag {cose.tag}, expected COSE_Sign1 (18)"
        cose = cose.value
    protected, _unprotected, payload, signature = cose
    assert cbor2.loads(protected)[1] == -7, "the DCC is not signed with ES256"
    to_be_signed = cbor2.dumps(["Signature1", protected, b"", payload])
    certificate = x509.load_der_x509_certificate(base64.b64decode(dsc_b64))
    certificate.public_key().verify(
        der_signature(signature), to_be_signed, ec.ECDSA(hashes.SHA256())
    )
    claims = cbor2.loads(payload)
    name = claims[-260][1]["nam"]
    return {key: name.get(key) for key in ("fn", "fnt", "gn", "gnt")}


def decode_shc(shc: str, jwks: dict) -> dict:
    assert shc.startswith("shc:/"), "not a SMART Health Card QR payload"
    digits = shc[5:]
    jws = "".join(chr(int(digits[i : i + 2]) + 45) for i in range(0, len(digits), 2))
    header_b64, payload_b64, signature_b64 = jws.split(".")
    header = json.loads(b64url(header_b64))
    assert header["alg"] == "ES256" and header.get("zip") == "DEF", header
    key = next(k for k in jwks["keys"] if k["kid"] == header["kid"])
    public = ec.EllipticCurvePublicNumbers(
        int.from_bytes(b64url(key["x"]), "big"),
        int.from_bytes(b64url(key["y"]), "big"),
        ec.SECP256R1(),
    ).public_key()
    public.verify(
        der_signature(b64url(signature_b64)),
        f"{header_b64}.{payload_b64}".encode(),
        ec.ECDSA(hashes.SHA256()),
    )
    card = json.loads(zlib.decompress(b64url(payload_b64), -15))
    entries = card["vc"]["credentialSubject"]["fhirBundle"]["entry"]
    patient = next(e["resource"] for e in entries if e["resource"]["resourceType"] == "Patient")
    name = patient["name"][0]
    return {"family": name.get("family"), "given": name.get("given")}


def main() -> None:
    request = json.load(sys.stdin)
    out = {}
    if "dcc" in request:
        out["dcc"] = decode_dcc(request["dcc"], request["dsc"])
    if "shc" in request:
        out["shc"] = decode_shc(request["shc"], request["jwks"])
    json.dump(out, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main()
