-- Given (after profiles.sql and import.sql): users already there, as the corpus files
-- 01_basic.csv (ada@example.com and two others) and 28_ids_phones.csv (keep1@example.com with id
-- 00000000-0000-4000-8000-0000000000a1, and keep2) create them.
\o /dev/null
\set csv `cat csv/01_basic.csv`
SELECT * FROM auth_sync.bulk_create_users(:'csv', source_name => 'basic');
\set csv `cat csv/28_ids_phones.csv`
SELECT * FROM auth_sync.bulk_create_users(:'csv', atomic => false);
\o
