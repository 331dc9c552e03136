insert into migration_snapshots (
    run_id, fingerprint_before, fingerprint_after, enrollments, archived, certificates, credits,
    badges, taken_at
) values (
    $run_id, $fingerprint_before, $fingerprint_after, $enrollments, $archived, $certificates,
    $credits, $badges, $taken_at
)
