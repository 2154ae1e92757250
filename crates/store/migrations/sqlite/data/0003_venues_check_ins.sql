-- Venues and check-ins.
--
-- Venues are businesses: their name and address are not personal data and are
-- kept in clear. A check-in links a person to a place and a time, so it is
-- personal data: it is kept pseudonymous (the person's opaque id only, never a
-- name, phone or document number), tagged with its purpose, and deleted after
-- the itinerary retention period (14 days by default).

CREATE TABLE venues (
    id              TEXT PRIMARY KEY,
    owner_account   TEXT NOT NULL REFERENCES accounts(id),
    name            TEXT NOT NULL,
    address         TEXT NOT NULL,
    division        TEXT NOT NULL,
    -- The signed place code as printed; kept so every reprint is the same code.
    place_code      TEXT NOT NULL,
    created_at      BIGINT NOT NULL
);
CREATE INDEX venues_owner ON venues(owner_account);
-- The venues of a division (at any level: a range of codes): risk-area
-- matching and retention go from a division to its venues' check-ins.
CREATE INDEX venues_division ON venues(division, id);

-- `id` is the idempotency key: a keyed digest of the person and of what makes
-- two scans "the same scan" (see crates/store/src/check_ins.rs). The primary
-- key (person_id, id) is at once the dedup index (`ON CONFLICT DO NOTHING`
-- makes a resubmitted scan one check-in), the itinerary index (a person has a
-- few hundred check-ins at most within the retention period, read through
-- `person_id = ?` and sorted by time) and the index of the cascade when a person
-- is deleted. One index instead of a unique `id` plus `(person_id, at)` halves
-- the random B-tree inserts of every check-in, the dominant cost of writing
-- them; for the same reason there is no (division, at) index: a division is
-- found through its venues. `division` is kept with each check-in (the
-- itinerary and the policy show it).
CREATE TABLE check_ins (
    person_id       TEXT NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    id              TEXT NOT NULL,
    venue_id        TEXT NOT NULL REFERENCES venues(id),
    division        TEXT NOT NULL,
    at              BIGINT NOT NULL,
    source          TEXT NOT NULL,
    recorded_by     TEXT,
    purpose         TEXT NOT NULL,
    PRIMARY KEY (person_id, id),
    CHECK (source IN ('place_code', 'personal_code'))
);
-- Risk areas by venue and, through venues(division, id), by division; a
-- venue's daily counts; retention.
CREATE INDEX check_ins_venue_at ON check_ins(venue_id, at);
