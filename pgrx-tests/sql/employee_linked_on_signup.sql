-- A new auth user whose email matches an unlinked employee (in any case) is linked; an inactive
-- employee who signs up is linked and banned at once; a stranger is left alone; each link logged.
\set SHOW_CONTEXT never
\set ECHO none
\i setup/profiles.sql
\i setup/employees.sql
\set ECHO all
INSERT INTO public.employees (email, first_name, last_name, employee_number, is_active)
VALUES ('Alice.Smith@Example.com', 'Alice', 'Smith', 'E001', true),
       ('bob@example.com', 'Bob', 'Jones', 'E002', true),
       ('carol@example.com', 'Carol', 'White', 'E003', true),
       ('dave@example.com', 'Dave', 'Green', 'E004', false);
SELECT public.emp_signup('alice.smith@example.com', 1) IS NOT NULL AS alice_signed_up;
SELECT public.emp_signup('nobody@example.com', 99) IS NOT NULL AS stranger_signed_up;
-- an inactive employee who signs up is linked and banned at once
SELECT public.emp_signup('dave@example.com', 4) IS NOT NULL AS dave_signed_up;
SELECT * FROM public.emp_state ORDER BY employee_id;
SELECT * FROM public.emp_log(:mark);
