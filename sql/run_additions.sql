-- How many rows of each kind a run holds in the store.
select
    (select count(*) from enrollments where run_id = $run_id) as enrollments,
    (select count(*) from archived_enrollments where run_id = $run_id) as archived,
    (select count(*) from certificates where run_id = $run_id) as certificates,
    (select count(*) from credits where run_id = $run_id) as credits,
    (select count(*) from badges where run_id = $run_id) as badges
