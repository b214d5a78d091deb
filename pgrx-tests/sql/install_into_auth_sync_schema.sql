-- On the Supabase-shaped fixture auth_sync installs into schema auth_sync, not relocatable, with
-- every object there, every installation check ok, and the columns of auth.users untouched.
\set SHOW_CONTEXT never
CREATE EXTENSION auth_sync;
SELECT extnamespace::regnamespace AS schema, extrelocatable
  FROM pg_extension WHERE extname = 'auth_sync';
SELECT auth_sync.version() = extversion AS library_matches_extension
  FROM pg_extension WHERE extname = 'auth_sync';

-- Every object of the extension lives in schema auth_sync.
SELECT count(*) AS objects_outside_auth_sync
  FROM pg_depend d
  JOIN pg_proc p ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid
 WHERE d.refclassid = 'pg_extension'::regclass
   AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'auth_sync')
   AND d.deptype = 'e'
   AND p.pronamespace <> 'auth_sync'::regnamespace;

-- The checks, all ok.
SELECT check_name, ok FROM auth_sync.verify_installation();

-- The extension never touches auth.users columns: the fixture's shape is intact.
SELECT count(*) AS auth_users_columns FROM pg_attribute
 WHERE attrelid = 'auth.users'::regclass AND attnum > 0 AND NOT attisdropped;
