-- Statement statistics for operators (db/functions/89_operations_report.sql): the
-- pg_stat_statements extension where the server has it and lets this role create it. It
-- counts only where the server preloads its library (the embedded cluster does; for another
-- server, add it to shared_preload_libraries); without it the report says so.
do $$
begin
    if exists (select from pg_available_extensions where name = 'pg_stat_statements') then
        create extension if not exists pg_stat_statements;
    end if;
exception when insufficient_privilege then
    raise notice 'pg_stat_statements not created: this role may not create extensions';
end
$$;
