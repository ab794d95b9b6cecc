drop table if exists change_log_horizon;
drop table if exists change_log;
