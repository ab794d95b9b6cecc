-- Back to addresses in clear. Without the key SQL cannot open what was sealed: sealed
-- addresses come back as placeholders (sealed-<id>@sealed.invalid), so run this only where that
-- loss is acceptable (a development database).
drop table if exists data_key_check;

drop index security_events_email_idx;
drop index security_events_address_idx;
alter table security_events drop column email_lookup, drop column client_address_lookup,
    drop column client_address_sealed;
alter table security_events rename column email_unsealed to email;
alter table security_events rename column client_address_unsealed to client_address;
create index security_events_email_idx on security_events (lower(email), created_at) where email is not null;
create index security_events_address_idx on security_events (client_address, created_at)
    where client_address is not null;

alter table users drop constraint users_sign_in_has_email;
alter table users drop constraint users_email_whole;
update users set email_unsealed = 'sealed-' || id || '@sealed.invalid' where email_unsealed is null;
drop index users_email_key;
alter table users drop column email_lookup, drop column email_sealed;
alter table users rename column email_unsealed to email;
alter table users alter column email set not null;
alter table users add constraint users_email_format
    check (email ~* '^[^@\s]+@[^@\s]+\.[^@\s]+$' and char_length(email) <= 254);
create unique index users_email_key on users (lower(email));
