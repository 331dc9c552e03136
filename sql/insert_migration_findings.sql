insert into migration_findings (run_id, "row", "column", rule, severity, value, message)
select $run_id, "row", "column", rule, severity, value, message from run_findings
