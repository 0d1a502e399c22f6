-- Home visits of the itinerant France Services (personal data: purged on schedule by
-- `maillage tours visites purger`). Added by the tours crate (see src/visits.rs).
-- Keep in step with ../postgres/0200_tours_home_visits.sql.
CREATE TABLE home_visits (
    id TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    -- ISO date (AAAA-MM-JJ) the visit was done or cancelled
    closed_on TEXT,
    -- the visit as JSON, written and read by maillage-tours
    data TEXT NOT NULL
);
