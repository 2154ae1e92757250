-- What remains of an erased person: that an account was erased, when, on whose
-- request and by whom; the person only by their opaque id, nothing personal.
-- An erasure is written here first (pending), then the person's data key is
-- destroyed in the key store, then their rows go and the erasure is completed,
-- so a process that dies half-way leaves a pending erasure for the service to
-- finish, and never anything readable.
CREATE TABLE erasures (
    person_id       TEXT PRIMARY KEY,
    requested_at    BIGINT NOT NULL,
    completed_at    BIGINT,
    -- `request` (the person asked) or `authority` (on a written request).
    reason          TEXT NOT NULL,
    -- The written request's reference, for erasures by an authority.
    reference       TEXT,
    actor_kind      TEXT NOT NULL,
    actor_role      TEXT,
    actor_account   TEXT
);
CREATE INDEX erasures_pending ON erasures(completed_at);
