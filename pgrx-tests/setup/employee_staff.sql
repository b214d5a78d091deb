-- Given (after employees.sql), as employee_linked_on_signup makes them: employees Alice (E001),
-- Bob (E002), Carol (E003) and Dave (E004, inactive); the auth users of Alice (1, linked),
-- nobody@example.com (99) and Dave (4, linked and banned); :mark at the newest log entry.
\o /dev/null
INSERT INTO public.employees (email, first_name, last_name, employee_number, is_active)
VALUES ('Alice.Smith@Example.com', 'Alice', 'Smith', 'E001', true),
       ('bob@example.com', 'Bob', 'Jones', 'E002', true),
       ('carol@example.com', 'Carol', 'White', 'E003', true),
       ('dave@example.com', 'Dave', 'Green', 'E004', false);
SELECT public.emp_signup('alice.smith@example.com', 1) IS NOT NULL AS alice_signed_up;
SELECT public.emp_signup('nobody@example.com', 99) IS NOT NULL AS stranger_signed_up;
SELECT public.emp_signup('dave@example.com', 4) IS NOT NULL AS dave_signed_up;
SELECT * FROM public.emp_state ORDER BY employee_id;
SELECT max(id) AS mark FROM auth_sync.integration_sync_log \gset
\o
