-- The theme follows the system unless someone chose otherwise. A new database's first migration
-- inserts the Python Portall's default ('light'), and until now nothing read it (pages followed the
-- system), so 'light' becomes 'system' here. A legacy database's upgrade puts its own value back
-- afterwards: what its users saw there stays.
UPDATE setting SET value = 'system' WHERE "key" = 'theme' AND value = 'light';
