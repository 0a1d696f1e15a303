-- Version 4 is the users table, which comes with the accounts work; this
-- file holds its place so that the alerts (version 5) apply in order.
SELECT 1;
