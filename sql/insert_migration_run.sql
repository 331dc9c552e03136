insert into migration_runs (
    run_id, command, file, sha256, import_date, state, started_at, applied_at,
    rows, live, archived, skipped, errors, warnings, options, report_dir
) values (
    $run_id, $command, $file, $sha256, $import_date, $state, $started_at, $applied_at,
    $rows, $live, $archived, $skipped, $errors, $warnings, $options, $report_dir
)
