-- Applied runs whose rollback window has closed.
select run_id from migration_runs
where state = 'applied' and applied_at < $now - interval 168 hours
order by applied_at
