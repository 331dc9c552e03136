-- Courses are keyed by name: loading a file again updates them in place.
update courses set
    published = s.published,
    kind = s.kind,
    license_seats = s.license_seats,
    ilt_capacity = s.ilt_capacity,
    certificate = s.certificate,
    certificate_expires_after_days = s.certificate_expires_after_days,
    recertification = s.recertification,
    credits = s.credits,
    badge = s.badge,
    enrollment_reminders = s.enrollment_reminders,
    due_date_reminders = s.due_date_reminders,
    overdue_reminders = s.overdue_reminders,
    ilt_reminders = s.ilt_reminders,
    recertification_period_days = s.recertification_period_days
from staged_courses s
where courses.name = s.name;

insert into courses (
    name, published, kind, license_seats, ilt_capacity, certificate,
    certificate_expires_after_days, recertification, credits, badge,
    enrollment_reminders, due_date_reminders, overdue_reminders, ilt_reminders,
    recertification_period_days
)
select
    s.name, s.published, s.kind, s.license_seats, s.ilt_capacity, s.certificate,
    s.certificate_expires_after_days, s.recertification, s.credits, s.badge,
    s.enrollment_reminders, s.due_date_reminders, s.overdue_reminders, s.ilt_reminders,
    s.recertification_period_days
from staged_courses s
where not exists (select 1 from courses c where c.name = s.name);
