insert into migration_snapshots (
    run_id, fingerprint_before, enrollments, archived, certificates, credits, badges, taken_at
) values (
    $run_id, $fingerprint_before, $enrollments, $archived, $certificates, $credits, $badges, $taken_at
)
