-- One database per service: no service reads another's tables (they exchange events).
CREATE DATABASE conventions OWNER cnum;
CREATE DATABASE payments OWNER cnum;
CREATE DATABASE compliance OWNER cnum;
