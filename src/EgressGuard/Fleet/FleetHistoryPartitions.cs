using Npgsql;

namespace EgressGuard.Fleet;

/// <summary>
/// The day partitions of <c>eg_connections</c> (one per UTC day, so retention drops whole days
/// instead of deleting rows): made when a batch first needs a day, dropped when a day falls out of
/// retention. Nodes serialise partition creation on an advisory lock.
/// </summary>
internal sealed class FleetHistoryPartitions
{
    private const string Prefix = "eg_connections_";

    // The days this node knows exist: a batch for a known day costs no DDL round trip.
    private readonly HashSet<DateOnly> _known = [];

    public void Ensure(NpgsqlConnection connection, IEnumerable<DateOnly> days)
    {
        foreach (var day in days)
        {
            lock (_known)
            {
                if (_known.Contains(day))
                {
                    continue;
                }
            }

            using var transaction = connection.BeginTransaction();
            using (var create = new NpgsqlCommand($"""
                SELECT pg_advisory_xact_lock({FleetMigrations.LockKey + 1});
                CREATE TABLE IF NOT EXISTS {Name(day)} PARTITION OF eg_connections
                    FOR VALUES FROM ('{day:yyyy-MM-dd}T00:00:00Z') TO ('{day.AddDays(1):yyyy-MM-dd}T00:00:00Z');
                """, connection, transaction))
            {
                create.ExecuteNonQuery();
            }

            transaction.Commit();
            lock (_known)
            {
                _known.Add(day);
            }
        }
    }

    /// <summary>Drops the partitions of days wholly before <paramref name="cutoff"/>; returns how many.</summary>
    public long DropBefore(NpgsqlConnection connection, DateOnly cutoff)
    {
        var names = new List<string>();
        using (var list = new NpgsqlCommand("SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'eg_connections'", connection))
        using (var reader = list.ExecuteReader())
        {
            while (reader.Read())
            {
                names.Add(reader.GetString(0));
            }
        }

        long dropped = 0;
        foreach (var name in names)
        {
            if (name.StartsWith(Prefix, StringComparison.Ordinal)
                && DateOnly.TryParseExact(name[Prefix.Length..], "yyyyMMdd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day)
                && day.AddDays(1) <= cutoff)
            {
                using var drop = new NpgsqlCommand($"DROP TABLE IF EXISTS {Name(day)}", connection);
                drop.ExecuteNonQuery();
                lock (_known)
                {
                    _known.Remove(day);
                }

                dropped++;
            }
        }

        return dropped;
    }

    private static string Name(DateOnly day) => $"{Prefix}{day:yyyyMMdd}";
}
