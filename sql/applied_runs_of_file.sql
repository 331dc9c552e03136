-- Runs that applied this file and have not been rolled back.
select run_id, applied_at from migration_runs
where sha256 = $sha256 and state in ('applied', 'expired')
order by applied_at
