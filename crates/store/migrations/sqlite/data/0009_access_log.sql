-- Who opened a person's data, other than the person: a staff account through
-- any route, a checkpoint scanning their code, a laboratory's result, a batch
-- recomputation, an operator at the command line. Written in the same unit of
-- work as the act. The person reads it (GET /v1/me/access-log); it names the
-- actor by role and account, never by anyone's name. It is the person's data:
-- it goes with them, and retention deletes it after its period.
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
);
-- Retention deletes by time.
CREATE INDEX access_log_at ON access_log(at);
