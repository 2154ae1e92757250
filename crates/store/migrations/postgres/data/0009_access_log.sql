-- Who opened a person's data, other than the person: a staff account through
-- any route, a checkpoint scanning their code, a laboratory's result, a batch
-- recomputation, an operator at the command line. Written in the same unit of
-- work as the act. The person reads it (GET /v1/me/access-log); it names the
-- actor by role and account, never by anyone's name. It is the person's data:
-- it goes with them, and retention deletes it after its period.
--
-- Partitioned by day on `at`: retention drops a whole day at once. The store
-- creates each day's partition ahead of time; the default partition catches
-- anything outside them and is purged row by row.
CREATE TABLE access_log (
    person_id       TEXT NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    at              BIGINT NOT NULL,
    id              TEXT NOT NULL,
    actor_kind      TEXT NOT NULL,
    actor_role      TEXT,
    actor_account   TEXT,
    purpose         TEXT NOT NULL,
    fields          TEXT NOT NULL,
    PRIMARY KEY (person_id, at, id)
) PARTITION BY RANGE (at);
CREATE TABLE access_log_default PARTITION OF access_log DEFAULT;
