-- Retired issuer keys of the international formats. A rotation replaces the
-- key in credential_keys and keeps the old key's public part here, so that the
-- trust list and the JWKS still vouch for what it signed until verify_until;
-- deleting a row withdraws it at once (a compromised key).

CREATE TABLE credential_key_history (
    format          TEXT NOT NULL,
    kid             TEXT NOT NULL,
    -- DCC: the signer certificate (DER); SHC: the public JWK (JSON).
    public_part     BYTEA NOT NULL,
    retired_at      BIGINT NOT NULL,
    verify_until    BIGINT NOT NULL,
    PRIMARY KEY (format, kid)
);
