using EgressGuard.History;
using Npgsql;
using NpgsqlTypes;

namespace EgressGuard.Fleet;

/// <summary>
/// Writes a batch of <see cref="HistoryRecord"/>s into the shared history: the rows with one binary
/// <c>COPY</c> into <c>eg_connections</c> (its day partitions made first), the passive DNS pairs
/// upserted into <c>eg_resolutions</c>. Called from <see cref="HistoryWriter"/>'s loop, never the proxy path.
/// </summary>
internal sealed class FleetHistoryImport(FleetDatabase db, FleetHistoryPartitions partitions)
{
    private const string Columns = "time, last_time, count, node, client, client_port, \"user\", method, host, port, address, addresses, cnames, dialed, decision, reason, rule, entry, feed, status, bytes_up, bytes_down, duration_ms, trace_id, groups, upstream";

    public void Write(IReadOnlyList<HistoryRecord> batch)
    {
        db.Run(connection =>
        {
            partitions.Ensure(connection, batch.Select(r => DateOnly.FromDateTime(r.Time.UtcDateTime)).Distinct());
            using (var copy = connection.BeginBinaryImport($"COPY eg_connections ({Columns}) FROM STDIN (FORMAT BINARY)"))
            {
                foreach (var r in batch)
                {
                    WriteRow(copy, r);
                }

                copy.Complete();
            }

            UpsertResolutions(connection, batch);
            return 0;
        });
    }

    private void WriteRow(NpgsqlBinaryImporter copy, HistoryRecord r)
    {
        copy.StartRow();
        copy.Write(r.Time.UtcDateTime, NpgsqlDbType.TimestampTz);
        copy.Write((r.LastTime ?? r.Time).UtcDateTime, NpgsqlDbType.TimestampTz);
        copy.Write(r.Count, NpgsqlDbType.Bigint);
        copy.Write(db.Node, NpgsqlDbType.Text);
        Inet(copy, r.Client);
        copy.Write(r.ClientPort, NpgsqlDbType.Integer);
        Text(copy, r.User);
        copy.Write(r.Method, NpgsqlDbType.Text);
        Text(copy, r.Host);
        copy.Write(r.Port, NpgsqlDbType.Integer);
        Inet(copy, r.Addresses.Count > 0 ? r.Addresses[0] : null);
        if (r.Addresses.Count > 0)
        {
            copy.Write(r.Addresses.Select(AddressNormalizer.Canonicalize).ToArray(), NpgsqlDbType.Array | NpgsqlDbType.Inet);
        }
        else
        {
            copy.WriteNull();
        }

        if (r.Cnames.Count > 0)
        {
            copy.Write(r.Cnames.ToArray(), NpgsqlDbType.Array | NpgsqlDbType.Text);
        }
        else
        {
            copy.WriteNull();
        }

        Inet(copy, r.Dialed);
        copy.Write(r.Decision, NpgsqlDbType.Text);
        Text(copy, r.Reason);
        Text(copy, r.Rule);
        Text(copy, r.Entry);
        Text(copy, r.Feed);
        copy.Write(r.Status, NpgsqlDbType.Integer);
        copy.Write(r.BytesUp, NpgsqlDbType.Bigint);
        copy.Write(r.BytesDown, NpgsqlDbType.Bigint);
        copy.Write(r.DurationMs, NpgsqlDbType.Double);
        Text(copy, r.TraceId == default ? null : r.TraceId.ToHexString());
        if (r.Groups.Count > 0)
        {
            copy.Write(r.Groups.ToArray(), NpgsqlDbType.Array | NpgsqlDbType.Text);
        }
        else
        {
            copy.WriteNull();
        }

        Text(copy, r.Upstream);
    }

    private static void Text(NpgsqlBinaryImporter copy, string? value)
    {
        if (value is null)
        {
            copy.WriteNull();
        }
        else
        {
            copy.Write(value, NpgsqlDbType.Text);
        }
    }

    private static void Inet(NpgsqlBinaryImporter copy, IPAddress? value)
    {
        if (value is null)
        {
            copy.WriteNull();
        }
        else
        {
            copy.Write(AddressNormalizer.Canonicalize(value), NpgsqlDbType.Inet);
        }
    }

    private static void UpsertResolutions(NpgsqlConnection connection, IReadOnlyList<HistoryRecord> batch)
    {
        var pairs = new Dictionary<(string Name, IPAddress Address), (DateTime First, DateTime Last)>();
        foreach (var r in batch)
        {
            if (r.Host is null || r.Addresses.Count == 0 || IPAddress.TryParse(r.Host, out _))
            {
                continue;
            }

            var first = r.Time.UtcDateTime;
            var last = (r.LastTime ?? r.Time).UtcDateTime;
            foreach (var a in r.Addresses)
            {
                var key = (r.Host, AddressNormalizer.Canonicalize(a));
                pairs[key] = pairs.TryGetValue(key, out var seen) ? (first < seen.First ? first : seen.First, last > seen.Last ? last : seen.Last) : (first, last);
            }
        }

        if (pairs.Count == 0)
        {
            return;
        }

        // In a fixed order: two nodes upserting the same pairs then lock them in the same order (no deadlock).
        var sorted = pairs.OrderBy(p => p.Key.Name, StringComparer.Ordinal).ThenBy(p => p.Key.Address.ToString(), StringComparer.Ordinal).ToList();
        using var upsert = new NpgsqlCommand("""
            INSERT INTO eg_resolutions (name, address, first_seen, last_seen)
            SELECT * FROM unnest($1::text[], $2::inet[], $3::timestamptz[], $4::timestamptz[])
            ON CONFLICT (name, address) DO UPDATE SET
                first_seen = least(eg_resolutions.first_seen, EXCLUDED.first_seen),
                last_seen = greatest(eg_resolutions.last_seen, EXCLUDED.last_seen)
            """, connection);
        upsert.Parameters.AddWithValue(sorted.Select(p => p.Key.Name).ToArray());
        upsert.Parameters.Add(new NpgsqlParameter { Value = sorted.Select(p => p.Key.Address).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Inet });
        upsert.Parameters.AddWithValue(sorted.Select(p => p.Value.First).ToArray());
        upsert.Parameters.AddWithValue(sorted.Select(p => p.Value.Last).ToArray());
        upsert.ExecuteNonQuery();
    }
}
