using System.Diagnostics;
using System.Globalization;
using System.Net;
using EgressGuard.Fleet;
using EgressGuard.History;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace EgressGuard.Benchmarks;

/// <summary>
/// Sustained rows/s into PostgreSQL through the production path: <see cref="HistoryWriter"/> (its
/// queue, batches of 2,000, fold) on <see cref="FleetHistory"/> (one binary COPY per batch plus the
/// passive-DNS upsert). Every record is a different flow (worst case: one row each, one DNS pair
/// each). The queue is filled first, then the writer runs until every row is written; the writer's
/// gather delay (<c>History:FlushInterval</c>, 1 s in production) is set to 1 ms so the figure is
/// the writer's work, not its idle wait. Median of several runs into the same, growing table.
/// </summary>
internal static class FleetHistoryThroughput
{
    public static async Task<int> RunAsync(string connectionString, int rows, int runs)
    {
        var db = new FleetDatabase(connectionString, "bench-node", TimeSpan.FromSeconds(30), TimeProvider.System, NullLogger<FleetDatabase>.Instance);
        await using (db.ConfigureAwait(false))
        {
            await db.MigrateAsync(CancellationToken.None).ConfigureAwait(false);
            var partitions = new FleetHistoryPartitions();
            var history = new FleetHistory(db, new FleetHistoryImport(db, partitions), partitions, NullLogger<FleetHistory>.Instance);
            var rates = new List<double>();
            for (var run = 1; run <= runs; run++)
            {
                var records = Records(rows, run);
                var options = new HistoryOptions { QueueCapacity = rows, FlushInterval = TimeSpan.FromMilliseconds(1) };
                var writer = new HistoryWriter(history, options, TimeProvider.System, NullLogger.Instance);
                using var stop = new CancellationTokenSource();
                var before = Count(db);
                var stopwatch = Stopwatch.StartNew();
                foreach (var r in records)
                {
                    writer.Enqueue(r);
                }

                var loop = Task.Run(() => writer.RunAsync(stop.Token));
                while (writer.Written + writer.Dropped < rows && !loop.IsCompleted)
                {
                    await Task.Delay(5).ConfigureAwait(false);
                }

                stopwatch.Stop();
                await stop.CancelAsync().ConfigureAwait(false);
                await loop.ConfigureAwait(false);
                var stored = Count(db) - before;
                var rate = rows / stopwatch.Elapsed.TotalSeconds;
                rates.Add(rate);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"run {run}: {rows:N0} rows in {stopwatch.Elapsed.TotalSeconds:F2} s = {rate:N0} rows/s (written {writer.Written:N0}, dropped {writer.Dropped:N0}, in eg_connections {stored:N0})"));
                if (writer.Dropped > 0 || stored != rows)
                {
                    Console.WriteLine("FAILED: rows missing");
                    return 1;
                }
            }

            rates.Sort();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"RESULT fleet-history rows={rows} runs={runs} median_rows_per_s={rates[rates.Count / 2]:F0} min={rates[0]:F0} max={rates[^1]:F0}"));
            return 0;
        }
    }

    private static long Count(FleetDatabase db) => db.Run(connection =>
    {
        using var command = new NpgsqlCommand("SELECT count(*) FROM eg_connections WHERE node = 'bench-node'", connection);
        return (long)command.ExecuteScalar()!;
    });

    private static List<HistoryRecord> Records(int rows, int run)
    {
        var t0 = DateTimeOffset.UtcNow;
        var trace = ActivityTraceId.CreateFromString("0af7651916cd43dd8448eb211c80319c");
        string[] groups = ["staff", "engineering"];
        var list = new List<HistoryRecord>(rows);
        for (var i = 0; i < rows; i++)
        {
            var address = new IPAddress([93, (byte)(run % 256), (byte)(i / 250 % 256), (byte)((i % 250) + 1)]);
            list.Add(new HistoryRecord
            {
                Time = t0.AddTicks(i),
                Client = new IPAddress([10, (byte)(i / 62500 % 256), (byte)(i / 250 % 250), (byte)((i % 250) + 1)]),
                ClientPort = 1024 + (i % 60000),
                User = "user" + (i % 5000).ToString(CultureInfo.InvariantCulture),
                Groups = groups,
                Method = i % 3 == 0 ? "GET" : "CONNECT",
                Host = $"h{i}.r{run}.example.com",
                Port = 443,
                Addresses = [address],
                Dialed = address,
                Decision = "allow",
                Reason = "allowed",
                Rule = "default",
                Status = 200,
                BytesUp = 700,
                BytesDown = 5000,
                DurationMs = 120,
                TraceId = trace,
            });
        }

        return list;
    }
}
