-- Given (after employee_carol_deleted.sql): what employee_created_with_auth_account does: Erin
-- (E010) created with an auth account and a generated password (in temp table emp_created), Frank
-- (E011, inactive) with a given password, the six calls that fail (using up two employee ids);
-- :mark moved on.
\o /dev/null
CREATE TEMP TABLE emp_created AS
SELECT * FROM auth_sync.create_employee_with_auth(
    '{"email": "Erin.Black@Example.com", "first_name": "Erin", "last_name": "Black", "employee_number": "E010", "user_type_id": 2}');
SELECT employee_id, auth_user_id IS NOT NULL AS has_auth_user, temp_password
  FROM auth_sync.create_employee_with_auth('{"email": "frank@example.com", "first_name": "Frank", "employee_number": "E011", "is_active": false}',
                                           'Sup3r-Secret-Passw0rd');
-- the failing calls of employee_created_with_auth_account (they use up employee ids)
DO $$
DECLARE
    a text[];
BEGIN
    FOREACH a SLICE 1 IN ARRAY ARRAY[['{"email": "taken@example.com"}', NULL],
                                     ['{"email": "gina@example.com", "employee_number": "E012"}', 'short'],
                                     ['{"email": "gina@example.com", "employee_number": "E002"}', NULL],
                                     ['{"email": "gina@example.com", "salary": 100}', NULL],
                                     ['["gina@example.com"]', NULL],
                                     ['{"first_name": "Gina"}', NULL]] LOOP
        BEGIN
            PERFORM auth_sync.create_employee_with_auth(a[1]::jsonb, a[2]);
        EXCEPTION WHEN OTHERS THEN
            NULL;
        END;
    END LOOP;
END
$$;
SELECT max(id) AS mark FROM auth_sync.integration_sync_log \gset
\o
