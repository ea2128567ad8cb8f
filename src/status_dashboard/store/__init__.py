"""Storage adapters of the domain ports: SQL (SQLite, PostgreSQL) and in memory.

    engine         create_engine_for(url): the one way to get an engine
    migrate        upgrade / current_revision / is_up_to_date (Alembic, inside the package)
    sql            SqlDashboardStore, SqlClientRegister, and re-exported SqlAccountStore
                   (accounts), SqlOperationsStore (operations), SqlMonitorStore (monitor),
                   SqlAuditLog (audit)
    memory         MemoryDatabase and its views MemoryDashboardStore, MemoryAccountStore,
                   MemoryOperationsStore, MemoryMonitorStore, MemoryAuditLog;
                   MemoryClientRegister: the same behaviour, in the process (memory_db,
                   memory_operations, memory_monitor)
    errors         the package's exception tree (StoreError and its kinds)

The rest is how the SQL adapters work: `tables` (the schema), `transactions` (consistent reads,
serialised writes, the revision), `tree` (reading the dashboards), `plan` and `catalog_write`
(writing what a catalog load changes), `uniqueness`, `sightings`, `check_codec` and `records`
(rules both stores share: uniqueness, client counts, JSON fields, pages and refusals).
"""
