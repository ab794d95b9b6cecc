drop index if exists security_events_unsealed_idx;
drop index if exists users_unsealed_idx;
