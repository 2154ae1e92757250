-- Signing keys of the international certificate formats (EU DCC, SMART Health
-- Cards), one row per format, shared by every app server through the database.
-- The private key is sealed by the vault; the DSC certificate (DCC only) is public.

CREATE TABLE credential_keys (
    format          TEXT PRIMARY KEY,
    secret_sealed   BYTEA NOT NULL,
    certificate     BYTEA,
    created_at      BIGINT NOT NULL
);
