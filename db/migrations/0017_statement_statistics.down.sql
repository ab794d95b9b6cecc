drop extension if exists pg_stat_statements;
