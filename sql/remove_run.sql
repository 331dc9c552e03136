-- Everything a run added, and only that: rows of the portal and of other runs stay.
delete from certificates where run_id = $run_id;
delete from credits where run_id = $run_id;
delete from badges where run_id = $run_id;
delete from enrollments where run_id = $run_id;
delete from archived_enrollments where run_id = $run_id;
