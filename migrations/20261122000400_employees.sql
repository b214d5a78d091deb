-- auth_sync migration pack, step 4: employees from the HR system, linked to their auth accounts.
-- auth_sync links each employee to the auth user with the same email (case-insensitively), bans
-- the auth user of an employee who goes inactive (and lifts that ban on reactivation), carries an
-- HR email change over to the auth user, and logs every action in
-- auth_sync.integration_sync_log; auth_sync.auth_sync_monitor shows the state of each employee.
-- Safe to apply again.

CREATE TABLE IF NOT EXISTS public.employees (
    employee_id     bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email           text        NOT NULL,
    first_name      text,
    last_name       text,
    employee_number text,
    user_type_id    int,
    is_active       boolean     NOT NULL DEFAULT true,
    auth_user_id    uuid        REFERENCES auth.users (id) ON DELETE SET NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT employees_employee_number_key UNIQUE (employee_number),
    CONSTRAINT employees_auth_user_id_key UNIQUE (auth_user_id)
);
-- an email names one employee, in any case (and auth_sync links by lower(email))
CREATE UNIQUE INDEX IF NOT EXISTS employees_email_lower_key ON public.employees (lower(email));

-- updated_at says when the HR record last changed: auth_sync linking the employee to an auth
-- account (auth_user_id alone) does not count, so an HR export of "rows changed since" does not
-- return every employee after link_employees(). (public.set_updated_at comes from step 2.)
DROP TRIGGER IF EXISTS employees_set_updated_at ON public.employees;
CREATE TRIGGER employees_set_updated_at BEFORE UPDATE ON public.employees
    FOR EACH ROW
    WHEN ((OLD.email, OLD.first_name, OLD.last_name, OLD.employee_number, OLD.user_type_id, OLD.is_active, OLD.created_at)
          IS DISTINCT FROM
          (NEW.email, NEW.first_name, NEW.last_name, NEW.employee_number, NEW.user_type_id, NEW.is_active, NEW.created_at))
    EXECUTE FUNCTION public.set_updated_at();

-- Row level security: a signed-in employee reads their own row; HR data is written server-side.
ALTER TABLE public.employees ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS employees_select_own ON public.employees;
CREATE POLICY employees_select_own ON public.employees
    FOR SELECT TO authenticated USING (auth_user_id = (SELECT auth.uid()));
REVOKE ALL ON public.employees FROM anon, authenticated, service_role;
GRANT ALL ON public.employees TO service_role;
GRANT SELECT ON public.employees TO authenticated;

SELECT target, key_column, email_column, active_column, auth_user_column
  FROM auth_sync.register_linked_table(
         target           => 'public.employees',
         key_column       => 'employee_id',
         email_column     => 'email',
         active_column    => 'is_active',
         auth_user_column => 'auth_user_id');
