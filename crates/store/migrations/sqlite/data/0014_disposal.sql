-- End-of-epidemic disposal: each request, its approval by a second authority,
-- how far it got (so a disposal that stopped resumes where it was) and its
-- signed certificate; the statistics kept afterwards, which identify nobody;
-- and each person's choice to keep their account for other services.
CREATE TABLE disposals (
    id              TEXT PRIMARY KEY,
    purpose         TEXT NOT NULL,
    requested_by    TEXT NOT NULL,
    requested_at    BIGINT NOT NULL,
    approved_by     TEXT,
    approved_at     BIGINT,
    -- Cells of the statistics below this count are suppressed.
    threshold       BIGINT NOT NULL,
    -- `requested`, `approved`, `counted` (statistics kept), `records`
    -- (every record of the purpose deleted), `completed`.
    stage           TEXT NOT NULL,
    started_at      BIGINT,
    -- JSON: how many records of each kind were deleted so far, keys destroyed.
    progress        TEXT NOT NULL,
    completed_at    BIGINT,
    certificate     TEXT,
    CHECK (approved_by IS NULL OR approved_by <> requested_by)
);

CREATE TABLE disposal_statistics (
    disposal_id     TEXT NOT NULL REFERENCES disposals(id),
    day             TEXT NOT NULL,
    division        TEXT NOT NULL,
    colour          TEXT NOT NULL,
    count           BIGINT NOT NULL,
    PRIMARY KEY (disposal_id, day, division, colour)
);

ALTER TABLE people ADD COLUMN keep_account_since BIGINT;
