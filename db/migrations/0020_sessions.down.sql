alter table users drop column email_verified_at;
drop table outbox_messages;
drop table account_tokens;
drop table refresh_tokens;
drop table sessions;
