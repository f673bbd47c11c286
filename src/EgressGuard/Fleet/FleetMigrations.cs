namespace EgressGuard.Fleet;

/// <summary>
/// The schema, as numbered steps. A step is never edited once released: a change is a new step.
/// Each runs in its own transaction and is recorded in <c>eg_schema</c>, so a restart resumes
/// where a crash stopped; <see cref="FleetDatabase.MigrateAsync"/> holds an advisory lock so that
/// nodes starting at once apply each step exactly once.
/// </summary>
internal static class FleetMigrations
{
    /// <summary>The advisory lock key (any constant: "EGRD" in ASCII).</summary>
    public const long LockKey = 0x45475244;

    public static readonly IReadOnlyList<(int Version, string Name, string Sql)> Steps =
    [
        (1, "shared rules, quarantine, alerts, audit", """
            CREATE TABLE eg_versions (name text PRIMARY KEY, version bigint NOT NULL);
            INSERT INTO eg_versions (name, version) VALUES ('quarantine', 0);
            CREATE TABLE eg_rules (
                version bigint PRIMARY KEY, content text NOT NULL, node text NOT NULL, actor text, time timestamptz NOT NULL);
            CREATE TABLE eg_audit (
                id bigserial PRIMARY KEY, time timestamptz NOT NULL, node text NOT NULL, entry jsonb NOT NULL);
            CREATE INDEX ix_eg_audit_time ON eg_audit (time);
            CREATE TABLE eg_quarantine (
                address inet PRIMARY KEY, reason text NOT NULL, since timestamptz NOT NULL, until timestamptz NOT NULL,
                by text NOT NULL, alert_id text, node text NOT NULL);
            CREATE TABLE eg_alert_windows (
                source text NOT NULL, destination text NOT NULL, alert_id text NOT NULL, first_seen timestamptz NOT NULL,
                PRIMARY KEY (source, destination));
            CREATE TABLE eg_alerts (
                id text PRIMARY KEY, node text NOT NULL, kind text NOT NULL, source text, destination text NOT NULL,
                first_seen timestamptz NOT NULL, last_seen timestamptz NOT NULL, count bigint NOT NULL, body jsonb NOT NULL);
            CREATE INDEX ix_eg_alerts_last_seen ON eg_alerts (last_seen DESC);
            CREATE TABLE eg_feed_status (
                node text NOT NULL, feed text NOT NULL, status jsonb NOT NULL, updated timestamptz NOT NULL,
                PRIMARY KEY (node, feed));
            """),
        (2, "shared investigation history, partitioned per day", """
            CREATE TABLE eg_connections (
                time timestamptz NOT NULL, last_time timestamptz NOT NULL, count bigint NOT NULL, node text NOT NULL,
                client inet, client_port integer, "user" text, method text NOT NULL, host text, port integer,
                address inet, addresses inet[], cnames text[], dialed inet,
                decision text NOT NULL, reason text, rule text, entry text, feed text,
                status integer, bytes_up bigint, bytes_down bigint, duration_ms double precision, trace_id text)
                PARTITION BY RANGE (time);
            CREATE INDEX ix_eg_connections_time ON eg_connections (time);
            CREATE INDEX ix_eg_connections_client ON eg_connections (client, time);
            CREATE INDEX ix_eg_connections_host ON eg_connections (host, time);
            CREATE INDEX ix_eg_connections_address ON eg_connections (address, time);
            CREATE INDEX ix_eg_connections_user ON eg_connections ("user", time) WHERE "user" IS NOT NULL;
            CREATE TABLE eg_resolutions (
                name text NOT NULL, address inet NOT NULL, first_seen timestamptz NOT NULL, last_seen timestamptz NOT NULL,
                PRIMARY KEY (name, address));
            CREATE INDEX ix_eg_resolutions_address ON eg_resolutions (address);
            CREATE TABLE eg_retro_hunts (
                source text NOT NULL, destination text NOT NULL, rule text NOT NULL, reported timestamptz NOT NULL, node text NOT NULL,
                PRIMARY KEY (source, destination, rule));
            """),
        (3, "the user's groups at decision time", """
            ALTER TABLE eg_connections ADD COLUMN groups text[];
            """),
        (4, "who carried the exchange (egressguard.upstream)", """
            ALTER TABLE eg_connections ADD COLUMN upstream text;
            """),
    ];
}
