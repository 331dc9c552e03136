-- The warehouse: the target portal (users, courses, enrollments) and the migration's own log.
create sequence if not exists user_ids start 1;
create sequence if not exists course_ids start 1;
create sequence if not exists enrollment_ids start 1;

create table if not exists users (
    user_id bigint primary key default nextval('user_ids'),
    email varchar not null unique,
    username varchar,
    first_name varchar,
    last_name varchar,
    login_enabled boolean not null default true
);

create table if not exists courses (
    course_id bigint primary key default nextval('course_ids'),
    name varchar not null unique,
    published boolean not null default true,
    kind varchar not null default 'elearning',
    license_seats bigint,
    ilt_capacity bigint,
    certificate varchar,
    certificate_expires_after_days bigint,
    recertification boolean not null default false,
    credits double not null default 0,
    badge varchar,
    enrollment_reminders boolean not null default false,
    due_date_reminders boolean not null default false,
    overdue_reminders boolean not null default false,
    ilt_reminders boolean not null default false
);

create table if not exists enrollments (
    enrollment_id bigint primary key default nextval('enrollment_ids'),
    user_id bigint not null,
    course_id bigint not null,
    status varchar not null,
    score double,
    created_at timestamp not null,
    started_at timestamp not null,
    completed_at timestamp,
    access_expires_at timestamp,
    run_id varchar,
    source_row bigint
);

create table if not exists archived_enrollments (
    enrollment_id bigint primary key default nextval('enrollment_ids'),
    user_id bigint not null,
    course_id bigint not null,
    status varchar not null,
    score double,
    created_at timestamp not null,
    started_at timestamp not null,
    completed_at timestamp,
    access_expires_at timestamp,
    run_id varchar,
    source_row bigint
);

create table if not exists certificates (
    enrollment_id bigint not null,
    user_id bigint not null,
    course_id bigint not null,
    certificate varchar not null,
    awarded_at timestamp not null,
    run_id varchar
);

create table if not exists credits (
    enrollment_id bigint not null,
    user_id bigint not null,
    course_id bigint not null,
    credits double not null,
    run_id varchar
);

create table if not exists badges (
    enrollment_id bigint not null,
    user_id bigint not null,
    course_id bigint not null,
    badge varchar not null,
    run_id varchar
);

create table if not exists migration_runs (
    run_id varchar primary key,
    command varchar not null,
    file varchar not null,
    sha256 varchar,
    import_date date not null,
    state varchar not null,
    started_at timestamp not null,
    applied_at timestamp,
    rolled_back_at timestamp,
    rows bigint not null default 0,
    live bigint not null default 0,
    archived bigint not null default 0,
    skipped bigint not null default 0,
    errors bigint not null default 0,
    warnings bigint not null default 0,
    options varchar,
    report_dir varchar
);

create table if not exists migration_findings (
    run_id varchar not null,
    "row" bigint,
    "column" varchar,
    rule varchar not null,
    severity varchar not null,
    value varchar,
    message varchar not null
);

-- What each applied run added, and the store's fingerprint before it and right after it: enough
-- to undo it exactly and to prove it undone (when the store has not changed since the run). The
-- rows themselves carry the run's id.
create table if not exists migration_snapshots (
    run_id varchar primary key,
    fingerprint_before varchar not null,
    fingerprint_after varchar,
    enrollments bigint not null,
    archived bigint not null,
    certificates bigint not null,
    credits bigint not null,
    badges bigint not null,
    taken_at timestamp not null,
    expired_at timestamp
);
alter table migration_snapshots add column if not exists fingerprint_after varchar;

-- Readiness (RULES.md §7): what the portal says about recertification, learning paths and the
-- options support sets. A course's recertification period: null when not known.
alter table courses add column if not exists recertification_period_days bigint;

create table if not exists learning_paths (
    learning_path varchar not null,
    course_id bigint not null,
    primary key (learning_path, course_id)
);

-- training_history, gamification: true or false; a setting absent (or null) is not known.
create table if not exists portal_settings (
    setting varchar primary key,
    value boolean
);
