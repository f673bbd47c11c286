namespace EgressGuard.Dialing;

/// <summary>
/// Dialling through a parent proxy (<c>Upstream:Proxy</c> or one of <c>Upstream:Parents</c>):
/// 1. connect to the parent's endpoint (resolved at start), as any dial, bounded by <c>Proxy:ConnectTimeout</c>;
/// 2. send <c>CONNECT approved-ip:port</c>, with <c>Proxy-Authorization</c> when configured;
/// 3. read the reply head one byte at a time, so not a byte past it is taken from the socket;
/// 4. 2xx: hand back the socket, now a plain byte stream to the destination (the splice relay works on it as on any);
///    else, or no reply: a <see cref="DialException"/> (<c>parent-refused</c>, <c>parent-unreachable</c>).
/// The CONNECT names the address the policy approved, never the client's host name: a parent
/// that resolved the name itself could reach an address that was never checked here (other DNS,
/// a rebinding answer, a different CNAME chain), which would undo the decision.
/// </summary>
internal sealed partial class Dialer
{
    /// <summary>Longer than any reply head a proxy sends to a CONNECT; past it the parent is not speaking HTTP.</summary>
    private const int MaxParentReplyBytes = 16 * 1024;

    /// <summary>The value of <c>egressguard.upstream</c> for a dial to <paramref name="address"/>: null without a parent.</summary>
    public string? RouteName(Decision decision, IPAddress address) =>
        decision.Target is null ? null : _parents.NameFor(decision, address);

    private async ValueTask<Socket> ConnectThroughParentAsync(ParentProxy parent, IPEndPoint destination, CancellationToken cancellationToken)
    {
        // 1. The parent's own connect.
        Socket socket;
        try
        {
            socket = await ConnectOneAsync(parent.Endpoint, cancellationToken).ConfigureAwait(false);
        }
        catch (DialException ex)
        {
            throw new DialException(DialFailure.ParentUnreachable, parent.Endpoint, $"parent proxy {parent.Name} unreachable: {ex.Message}", ex);
        }

        using var timeout = new CancellationTokenSource(_connectTimeout, _timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken);
        try
        {
            // 2. The CONNECT, to the checked address.
            var authority = destination.ToString();
            var request = new StringBuilder($"CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n");
            if (parent.Authorization is { } authorization)
            {
                request.Append("Proxy-Authorization: ").Append(authorization).Append("\r\n");
            }

            await socket.SendAsync(Encoding.ASCII.GetBytes(request.Append("\r\n").ToString()), SocketFlags.None, linked.Token).ConfigureAwait(false);

            // 3. + 4. The reply.
            var statusLine = await ReadReplyHeadAsync(socket, linked.Token).ConfigureAwait(false);
            if (statusLine is null)
            {
                throw new DialException(DialFailure.ParentUnreachable, parent.Endpoint, $"parent proxy {parent.Name} closed the connection without answering CONNECT {authority}", null);
            }

            var parts = statusLine.Split(' ', 3);
            if (parts.Length < 2 || !parts[0].StartsWith("HTTP/1.", StringComparison.Ordinal) || !int.TryParse(parts[1], out var status))
            {
                throw new DialException(DialFailure.ParentUnreachable, parent.Endpoint, $"parent proxy {parent.Name} answered CONNECT {authority} with something other than HTTP: '{Printable(statusLine)}'", null);
            }

            if (status is < 200 or > 299)
            {
                throw new DialException(DialFailure.ParentRefused, parent.Endpoint, $"parent proxy {parent.Name} refused CONNECT {authority}: {Printable(statusLine)}", null);
            }

            return socket;
        }
        catch (DialException)
        {
            socket.Dispose();
            throw;
        }
        catch (OperationCanceledException ex) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            socket.Dispose();
            throw new DialException(DialFailure.ParentUnreachable, parent.Endpoint, $"parent proxy {parent.Name} did not answer CONNECT {destination} within {_connectTimeout.TotalSeconds:0.#} s", ex);
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            throw new DialException(DialFailure.ParentUnreachable, parent.Endpoint, $"parent proxy {parent.Name} failed during CONNECT {destination}: {ex.SocketErrorCode}", ex);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The status line of the parent's reply, after reading its whole head; null when the parent
    /// closed first. One byte per receive: a reply head is a few dozen bytes, and bytes the
    /// destination sends right after it must stay in the socket for the relay (splice reads the
    /// socket itself, so no buffer of ours could hand them over).
    /// </summary>
    private static async Task<string?> ReadReplyHeadAsync(Socket socket, CancellationToken cancellationToken)
    {
        var head = new byte[MaxParentReplyBytes];
        var length = 0;
        while (length < head.Length)
        {
            if (await socket.ReceiveAsync(head.AsMemory(length, 1), SocketFlags.None, cancellationToken).ConfigureAwait(false) == 0)
            {
                return null;
            }

            length++;
            if (length >= 2 && head[length - 1] == '\n' && (head[length - 2] == '\n' || length >= 4 && head[length - 2] == '\r' && head[length - 3] == '\n'))
            {
                var text = Encoding.Latin1.GetString(head, 0, length);
                return text[..text.IndexOf('\n', StringComparison.Ordinal)].TrimEnd('\r');
            }
        }

        throw new SocketException((int)SocketError.MessageSize);
    }

    private static string Printable(string text) => Addressing.PrintableText.Of(text);
}
