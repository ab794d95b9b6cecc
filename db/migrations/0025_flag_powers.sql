-- Whether a flag was made with a moderator's or administrator's powers, as the request's claims
-- said when it was made (a key limited to businesses carries none), rather than looked up in
-- user_roles whenever flags are weighed. Earlier flags: as their user's roles are now.
alter table review_flags add column by_moderator boolean not null default false;
update review_flags f set by_moderator = true
 where exists (select 1 from user_roles r where r.user_id = f.user_id and r.role in ('admin', 'moderator'));
