using EgressGuard.Rules;
using Npgsql;

namespace EgressGuard.Fleet;

/// <summary>
/// The fleet's rules in PostgreSQL: every version in <c>eg_rules</c> (history and rollback for the
/// whole fleet). A commit inserts the next version (the primary key makes two nodes' simultaneous
/// edits a lost race, never a lost edit) and notifies every node on the <c>egressguard</c> channel.
/// </summary>
internal sealed class FleetRules(FleetDatabase db, TimeProvider time) : IRulesReplica
{
    public const string Channel = "egressguard";

    public Task<bool> TryCommitAsync(long version, string content, CancellationToken cancellationToken = default) =>
        db.RunAsync(async connection =>
        {
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using var insert = new NpgsqlCommand("INSERT INTO eg_rules (version, content, node, time) VALUES ($1, $2, $3, $4) ON CONFLICT (version) DO NOTHING", connection, transaction);
            insert.Parameters.AddWithValue(version);
            insert.Parameters.AddWithValue(content);
            insert.Parameters.AddWithValue(db.Node);
            insert.Parameters.AddWithValue(time.GetUtcNow());
            if (await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 0)
            {
                return false;
            }

            await using (var notify = new NpgsqlCommand("SELECT pg_notify($1, $2)", connection, transaction))
            {
                notify.Parameters.AddWithValue(Channel);
                notify.Parameters.AddWithValue($"rules:{version}");
                await notify.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            return true;
        }, cancellationToken);

    public Task<(long Version, string Content)?> LatestAsync(CancellationToken cancellationToken = default) =>
        db.RunAsync(async connection =>
        {
            await using var command = new NpgsqlCommand("SELECT version, content FROM eg_rules ORDER BY version DESC LIMIT 1", connection);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? (reader.GetInt64(0), reader.GetString(1)) : ((long, string)?)null;
        }, cancellationToken);

    /// <summary>The newest version number (0 when none): what the periodic check compares.</summary>
    public static async Task<long> LatestVersionAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT coalesce(max(version), 0) FROM eg_rules", connection);
        return (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    public Task<string?> ContentAsync(long version, CancellationToken cancellationToken = default) =>
        db.RunAsync(async connection =>
        {
            await using var command = new NpgsqlCommand("SELECT content FROM eg_rules WHERE version = $1", connection);
            command.Parameters.AddWithValue(version);
            return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) as string;
        }, cancellationToken);

    public Task<IReadOnlyList<(long Version, DateTimeOffset Time)>> HistoryAsync(int limit, CancellationToken cancellationToken = default) =>
        db.RunAsync<IReadOnlyList<(long, DateTimeOffset)>>(async connection =>
        {
            await using var command = new NpgsqlCommand("SELECT version, time FROM eg_rules ORDER BY version DESC LIMIT $1", connection);
            command.Parameters.AddWithValue(limit);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            var rows = new List<(long, DateTimeOffset)>();
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                rows.Add((reader.GetInt64(0), reader.GetFieldValue<DateTimeOffset>(1)));
            }

            return rows;
        }, cancellationToken);
}
