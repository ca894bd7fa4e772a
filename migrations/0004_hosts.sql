-- Hosts as the Ports page shows them: their panel order, a nickname for a host that has no entry yet,
-- and hosts added by hand (pinned: an empty panel stays until the user deletes it).
-- The legacy schema had no host table: a panel's place came from its entries' "order" and its nickname
-- from its first entry. This fills the table from exactly that, so an upgraded database shows its panels
-- in the order the user left them.

CREATE TABLE host (
    address TEXT PRIMARY KEY NOT NULL,
    nickname TEXT,
    position INTEGER NOT NULL,
    pinned INTEGER NOT NULL DEFAULT 0
);

INSERT INTO host (address, position)
SELECT ip_address, ROW_NUMBER() OVER (ORDER BY MIN(COALESCE("order", 0)), MIN(id)) - 1
  FROM port
 GROUP BY ip_address;
