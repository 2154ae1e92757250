-- Who may record a check-in by scanning a personal code, and how often a code
-- may be used for one.
--
-- A venue account records check-ins at its own venues; a checker account at
-- the venues whose owners bound it here. Staff accounts and businesses only:
-- nothing personal.
CREATE TABLE venue_checkers (
    venue_id        TEXT NOT NULL REFERENCES venues(id),
    account_id      TEXT NOT NULL REFERENCES accounts(id),
    bound_at        BIGINT NOT NULL,
    PRIMARY KEY (venue_id, account_id)
);

-- A personal code records at most one check-in: the first scan binds the code
-- to the check-in it recorded, and a scan of the same code for any other
-- check-in is refused; the primary key makes that hold across concurrent
-- writers. A code is named by a keyed digest of its signature, never by the
-- code itself, and its row is needed only while the code verifies: the
-- check-in writer deletes it an hour after `expires_at` (from when the code
-- no longer verifies). Not partitioned like check-ins, so that a code scanned on
-- either side of midnight is still one code.
CREATE TABLE scanned_codes (
    fingerprint     TEXT PRIMARY KEY,
    person_id       TEXT NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    check_in_id     TEXT NOT NULL,
    expires_at      BIGINT NOT NULL
);
CREATE INDEX scanned_codes_expiry ON scanned_codes(expires_at);
