-- One database per service: no service reads another's tables (they exchange events).
CREATE DATABASE conventions OWNER cnum;
CREATE DATABASE payments OWNER cnum;
CREATE DATABASE compliance OWNER cnum;
-- The revocation list every process reads and the issuers write (docs/decisions/0015).
CREATE DATABASE revocations OWNER cnum;
