-- Which version last changed each field of a business or review, so that two edits made from
-- one version merge when they change different fields (api.check_mergeable). Kept by
-- api_private.touch_versioned; '*' is the version at which a row's tracking began: a field not
-- in the map last changed at or before it. Rows start with an empty map (no rewrite of the
-- tables): until their next change, any edit from an older version conflicts, as before.
alter table businesses add column field_versions jsonb not null default '{}';
alter table business_reviews add column field_versions jsonb not null default '{}';
