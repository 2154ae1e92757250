-- People, accounts, sessions, precomputed code status and signing keys.
-- Personal fields are ciphertext (per-person data key); lookups go through blind indexes.

CREATE TABLE people (
    id              TEXT PRIMARY KEY,
    document_type   TEXT NOT NULL,
    document_index  BYTEA NOT NULL UNIQUE,
    phone_index     BYTEA NOT NULL UNIQUE,
    name_enc        BYTEA NOT NULL,
    document_enc    BYTEA NOT NULL,
    phone_enc       BYTEA NOT NULL,
    address_enc     BYTEA,
    created_at      BIGINT NOT NULL
);

CREATE TABLE accounts (
    id              TEXT PRIMARY KEY,
    role            TEXT NOT NULL,
    person_id       TEXT UNIQUE REFERENCES people(id) ON DELETE CASCADE,
    username        TEXT UNIQUE,
    password_hash   TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    CHECK ((role = 'citizen') = (person_id IS NOT NULL)),
    CHECK ((role = 'citizen') = (username IS NULL))
);

CREATE TABLE sessions (
    token_hash      BYTEA PRIMARY KEY,
    account_id      TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    created_at      BIGINT NOT NULL,
    expires_at      BIGINT NOT NULL
);
CREATE INDEX sessions_account ON sessions(account_id);
CREATE INDEX sessions_expiry ON sessions(expires_at);

CREATE TABLE code_status (
    person_id       TEXT PRIMARY KEY REFERENCES people(id) ON DELETE CASCADE,
    colour          TEXT NOT NULL,
    reasons         TEXT NOT NULL,
    policy_version  TEXT NOT NULL,
    computed_at     BIGINT NOT NULL,
    valid_until     BIGINT
);
CREATE INDEX code_status_valid_until ON code_status(valid_until);

CREATE TABLE signing_keys (
    kid             TEXT PRIMARY KEY,
    public_key      BYTEA NOT NULL,
    secret_sealed   BYTEA NOT NULL,
    status          TEXT NOT NULL,
    not_before      BIGINT NOT NULL,
    signs_until     BIGINT,
    verify_until    BIGINT,
    created_at      BIGINT NOT NULL
);
