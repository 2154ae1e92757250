-- Health facts, risk areas and published policies.
-- A fact's details are ciphertext under the person's data key; only what finding
-- and retiring facts needs (who, which kind, when, from whom, for what purpose)
-- is kept in clear.

CREATE TABLE facts (
    id              TEXT PRIMARY KEY,
    person_id       TEXT NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    kind            TEXT NOT NULL,
    occurred_at     BIGINT NOT NULL,
    recorded_at     BIGINT NOT NULL,
    source          TEXT NOT NULL,
    source_id       TEXT,
    purpose         TEXT NOT NULL,
    dedup_key       TEXT UNIQUE,
    body_enc        BYTEA NOT NULL
);
CREATE INDEX facts_person ON facts(person_id, occurred_at);
CREATE INDEX facts_purpose_time ON facts(purpose, occurred_at);

CREATE TABLE risk_areas (
    id              TEXT PRIMARY KEY,
    scope_kind      TEXT NOT NULL,
    scope           TEXT NOT NULL,
    level           TEXT NOT NULL,
    name            TEXT,
    from_at         BIGINT NOT NULL,
    until_at        BIGINT,
    declared_by     TEXT NOT NULL,
    declared_at     BIGINT NOT NULL
);

CREATE TABLE policies (
    version         TEXT PRIMARY KEY,
    effective_from  BIGINT NOT NULL UNIQUE,
    document        TEXT NOT NULL,
    published_by    TEXT,
    published_at    BIGINT NOT NULL
);
