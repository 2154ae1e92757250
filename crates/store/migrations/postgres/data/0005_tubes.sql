-- Sample tubes: one person's swab, or a pool of up to 10 or 20 people's swabs,
-- and the laboratory's result per tube.

CREATE TABLE tubes (
    id              TEXT PRIMARY KEY,
    capacity        BIGINT NOT NULL,
    collector_id    TEXT NOT NULL,
    opened_at       BIGINT NOT NULL,
    sealed_at       BIGINT,
    outcome         TEXT,
    kind            TEXT,
    laboratory      TEXT,
    sample_at       BIGINT,
    result_at       BIGINT
);

CREATE TABLE tube_members (
    tube_id         TEXT NOT NULL REFERENCES tubes(id),
    person_id       TEXT NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    added_at        BIGINT NOT NULL,
    PRIMARY KEY (tube_id, person_id)
);
CREATE INDEX tube_members_person ON tube_members(person_id);
