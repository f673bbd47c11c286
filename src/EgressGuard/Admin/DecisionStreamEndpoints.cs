namespace EgressGuard.Admin;

/// <summary>
/// <c>GET /decisions/stream</c>: every decision as it is made, as Server-Sent Events (one
/// <c>event: decision</c> whose data is the decision log line), with the filters of
/// <c>GET /decisions</c> plus <c>user</c> and <c>reason</c>. <c>backlog=N</c> first sends the last N
/// matching decisions kept in memory, oldest first; then <c>event: ready</c> (data: how many were
/// sent) marks the start of the live part. A comment line every 15 s keeps idle
/// connections open through intermediaries. Behind the admin token like the rest of the API.
/// </summary>
internal static class DecisionStreamEndpoints
{
    /// <summary>Lines queued per reader before the oldest are dropped (reported as <c>event: dropped</c>).</summary>
    private const int QueuePerReader = 2000;

    private static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(15);

    public static void Map(WebApplication app, IServiceProvider services)
    {
        var recent = services.GetRequiredService<RecentDecisions>();
        app.MapGet("/decisions/stream", async (HttpContext context, string? decision, string? client, string? destination, string? user, string? reason, int? backlog) =>
        {
            var filter = new DecisionFilter(Empty(decision), Empty(client), Empty(destination), Empty(user), Empty(reason));

            // 1. Subscribe before reading the backlog, so that nothing falls between the two; the
            //    few decisions in both are sent once.
            using var subscription = recent.Subscribe(QueuePerReader);
            var sent = new HashSet<ProxyExchange>(ReferenceEqualityComparer.Instance);
            var first = recent.Newest().Where(filter.Matches).Take(Math.Clamp(backlog ?? 0, 0, 1000)).Reverse().ToList();

            var response = context.Response;
            response.ContentType = "text/event-stream";
            response.Headers.CacheControl = "no-store";
            response.Headers["X-Accel-Buffering"] = "no";
            using var stopping = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, app.Lifetime.ApplicationStopping);
            var cancellation = stopping.Token;
            var buffer = new ArrayBufferWriter<byte>(16 * 1024);
            await using var json = new Utf8JsonWriter(buffer);

            // 2. The backlog, then "ready" and a first flush: the client knows the stream is live.
            buffer.Write("retry: 2000\n\n"u8);
            foreach (var exchange in first)
            {
                sent.Add(exchange);
                WriteEvent(buffer, json, exchange);
            }

            buffer.Write(System.Text.Encoding.UTF8.GetBytes($"event: ready\ndata: {first.Count}\n\n"));

            try
            {
                await Flush(response, buffer, cancellation);
                var dropped = 0L;

                // 3. Live decisions as they come, flushed whenever the queue is drained.
                while (!cancellation.IsCancellationRequested)
                {
                    using var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
                    idle.CancelAfter(KeepAlive);
                    bool more;
                    try
                    {
                        more = await subscription.Reader.WaitToReadAsync(idle.Token);
                    }
                    catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
                    {
                        buffer.Write(": keep-alive\n\n"u8);
                        await Flush(response, buffer, cancellation);
                        continue;
                    }

                    if (!more)
                    {
                        break;
                    }

                    while (subscription.Reader.TryRead(out var exchange))
                    {
                        if (sent.Count > 0 && sent.Remove(exchange))
                        {
                            continue;
                        }

                        if (filter.Matches(exchange))
                        {
                            WriteEvent(buffer, json, exchange);
                        }
                    }

                    if (subscription.Dropped != dropped)
                    {
                        dropped = subscription.Dropped;
                        buffer.Write(System.Text.Encoding.UTF8.GetBytes($"event: dropped\ndata: {dropped}\n\n"));
                    }

                    // The backlog set only matters for decisions queued while it was read.
                    sent.Clear();
                    await Flush(response, buffer, cancellation);
                }
            }
            catch (OperationCanceledException)
            {
                // The browser went away or the program is stopping: the stream simply ends.
            }
        });
    }

    private static string? Empty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    private static void WriteEvent(ArrayBufferWriter<byte> buffer, Utf8JsonWriter json, ProxyExchange exchange)
    {
        // One line of JSON: the writer escapes every control character, so data never spans lines.
        buffer.Write("event: decision\ndata: "u8);
        json.Reset(buffer);
        DecisionLogFormatter.Write(json, exchange);
        json.Flush();
        buffer.Write("\n\n"u8);
    }

    private static async Task Flush(HttpResponse response, ArrayBufferWriter<byte> buffer, CancellationToken cancellation)
    {
        if (buffer.WrittenCount > 0)
        {
            await response.Body.WriteAsync(buffer.WrittenMemory, cancellation);
            buffer.ResetWrittenCount();
        }

        await response.Body.FlushAsync(cancellation);
    }
}
