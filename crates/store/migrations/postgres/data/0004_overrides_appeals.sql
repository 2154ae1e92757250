-- Overrides of a person's colour, which need two different officials, and
-- appeals against a colour. Justifications are written by officials about a
-- person and appeal texts by the person: both are sealed under the person's key.

CREATE TABLE overrides (
    id              TEXT PRIMARY KEY,
    person_id       TEXT NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    colour          TEXT NOT NULL,
    justification_enc BYTEA NOT NULL,
    requested_by    TEXT NOT NULL,
    requested_at    BIGINT NOT NULL,
    approved_by     TEXT,
    approved_at     BIGINT,
    expires_at      BIGINT NOT NULL,
    CHECK (approved_by IS NULL OR approved_by <> requested_by)
);
CREATE INDEX overrides_person ON overrides(person_id, expires_at);

CREATE TABLE appeals (
    id              TEXT PRIMARY KEY,
    person_id       TEXT NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    colour          TEXT NOT NULL,
    policy_version  TEXT NOT NULL,
    text_enc        BYTEA NOT NULL,
    filed_at        BIGINT NOT NULL,
    status          TEXT NOT NULL,
    resolution_enc  BYTEA,
    resolved_by     TEXT,
    resolved_at     BIGINT
);
CREATE INDEX appeals_status ON appeals(status, filed_at);
CREATE INDEX appeals_person ON appeals(person_id, filed_at);
