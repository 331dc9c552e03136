-- An order-independent fingerprint of what migrations change: each table's row count and the
-- xor of its rows' hashes.
select string_agg(part, ';' order by part) as fingerprint from (
    select 'enrollments:' || count(*) || ':' || coalesce(bit_xor(hash(e)), 0) as part from enrollments e
    union all
    select 'archived_enrollments:' || count(*) || ':' || coalesce(bit_xor(hash(a)), 0) from archived_enrollments a
    union all
    select 'certificates:' || count(*) || ':' || coalesce(bit_xor(hash(c)), 0) from certificates c
    union all
    select 'credits:' || count(*) || ':' || coalesce(bit_xor(hash(r)), 0) from credits r
    union all
    select 'badges:' || count(*) || ':' || coalesce(bit_xor(hash(b)), 0) from badges b
)
