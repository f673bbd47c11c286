using Microsoft.AspNetCore.Http.Features;

namespace EgressGuard.Forwarding.Lean;

/// <summary>One request and its response on one upstream connection (steps 2–5 of <see cref="LeanForwarder"/>).</summary>
internal static class LeanExchange
{
    /// <summary>Response headers that describe our hop to the server, never the client's hop (RFC 9110 §7.6.1).</summary>
    private static readonly HashSet<string> HopByHop = new(StringComparer.OrdinalIgnoreCase)
    {
        "Connection", "Keep-Alive", "Transfer-Encoding", "Proxy-Connection", "Upgrade", "Trailer", "Content-Length",
    };

    /// <summary>Response heads read for one request at most: up to 9 interim (1xx) answers and the final one.</summary>
    private const int MaxInterim = 10;

    /// <summary>Relays the exchange; true when the connection may carry another request.</summary>
    public static async Task<bool> RunAsync(LeanRequest request, LeanConnection connection, LeanProgress progress)
    {
        var context = request.Context;
        var http = context.Request;
        var chunked = http.Headers.TransferEncoding.Count > 0;

        // 2. The head, then the body while the response is awaited (a server may answer early).
        RequestHead.Write(connection.Writer, http, request.PathAndQuery, request.HostHeader, request.Via, chunked);
        await connection.Writer.FlushAsync(request.Timer.Arm());
        using var stop = new CancellationTokenSource();
        // A body timer exists exactly when the request has a body (Content-Length > 0 or any Transfer-Encoding).
        var send = request.BodyTimer is { } bodyTimer ? RequestBody.SendAsync(request.RequestBody, connection.Writer, chunked, bodyTimer, stop.Token) : null;
        try
        {
            return await RelayAsync(request, connection, progress, send, stop);
        }
        finally
        {
            if (send is not null && !send.IsCompleted)
            {
                // Failed or answered early: the body task must end before its pipe is disposed or reused.
                await stop.CancelAsync();
                await send.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    private static async Task<bool> RelayAsync(LeanRequest request, LeanConnection connection, LeanProgress progress, Task? send, CancellationTokenSource stop)
    {
        var context = request.Context;
        var http = context.Request;

        // A client body that breaks (bad chunked framing, a reset) while the response head is awaited
        // would leave both waiting for UpstreamTimeout: end the upstream connection under the wait.
        _ = send?.ContinueWith(static (_, c) => ((LeanConnection)c!).Sever(), connection, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

        // 3. The response head; interim 1xx answers (100 Continue, 103) are not relayed: Kestrel answers the client's Expect itself.
        ResponseHead head;
        var interim = 0;
        do
        {
            // Bounded: each interim answer re-arms the timer, so a server sending 1xx forever would hold the request.
            if (++interim > MaxInterim)
            {
                throw new UpstreamProtocolException($"the upstream sent more than {MaxInterim - 1} interim (1xx) responses");
            }

            head = await ReadHeadAsync(connection, http.Method, request.Timer, progress);
            if (head.Status == StatusCodes.Status101SwitchingProtocols)
            {
                throw new UpstreamProtocolException("the upstream switched protocols for a request that asked for no upgrade");
            }
        }
        while (head.Status < 200);

        // 4. The response, to the client.
        var response = context.Response;
        response.StatusCode = head.Status;
        context.Features.GetRequiredFeature<IHttpResponseFeature>().ReasonPhrase = head.Reason;
        var named = head.Headers.Where(h => h.Key.Equals("Connection", StringComparison.OrdinalIgnoreCase))
            .SelectMany(h => h.Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)).ToArray();
        foreach (var (name, value) in head.Headers)
        {
            if (!HopByHop.Contains(name) && !ForwardTransformer.IsProxyHeader(name) && !named.Contains(name, StringComparer.OrdinalIgnoreCase))
            {
                response.Headers.Append(name, value);
            }
        }

        if (head.ContentLength >= 0 && (head.Framing == BodyFraming.ContentLength || HttpMethods.IsHead(http.Method) || head.ContentLength == 0 && head.Status is not (204 or 304)))
        {
            response.ContentLength = head.ContentLength;
        }

        await ResponseBody.CopyAsync(connection.Reader, head, request.ResponseBody, request.Timer);

        // 5. Reusable only when both sides are done and both allow it.
        var reusable = head.KeepAlive && head.Framing != BodyFraming.UntilClose && http.Headers.Connection.ToString().IndexOf("close", StringComparison.OrdinalIgnoreCase) < 0;
        if (send is not null)
        {
            if (!send.IsCompleted)
            {
                // The server answered before taking the whole body: this connection's request is not
                // over, so it goes; the body task is stopped rather than waited for.
                await stop.CancelAsync();
                await send.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                return false;
            }

            await send;
        }

        return reusable && NothingMore(connection);
    }

    private static async ValueTask<ResponseHead> ReadHeadAsync(LeanConnection connection, string method, UpstreamTimer timer, LeanProgress progress)
    {
        var reader = connection.Reader;
        while (true)
        {
            var result = await reader.ReadAsync(timer.Arm());
            var buffer = result.Buffer;
            if (!buffer.IsEmpty)
            {
                progress.ResponseStarted = true;
            }

            if (ResponseHead.TryParse(ref buffer, method, out var head))
            {
                reader.AdvanceTo(buffer.Start);
                return head!;
            }

            reader.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted)
            {
                throw buffer.IsEmpty ? new UpstreamClosedException() : new UpstreamProtocolException("the upstream closed the connection inside its response head");
            }
        }
    }

    /// <summary>Bytes past the response's end that no request asked for: the connection is out of step, and closed.</summary>
    private static bool NothingMore(LeanConnection connection)
    {
        if (connection.Reader.TryRead(out var result))
        {
            var empty = result.Buffer.IsEmpty && !result.IsCompleted;
            connection.Reader.AdvanceTo(result.Buffer.Start);
            return empty;
        }

        return true;
    }
}
