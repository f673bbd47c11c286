using System.Net;
using System.Net.Sockets;
using EgressGuard.Forwarding.Lean;
using Microsoft.Extensions.Time.Testing;

namespace EgressGuard.FunctionalTests;

/// <summary>The lean forwarder's idle pool over real loopback connections.</summary>
public sealed class LeanPoolTests : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly List<Socket> _accepted = [];

    public LeanPoolTests() => _listener.Start(512);

    public void Dispose()
    {
        foreach (var socket in _accepted)
        {
            socket.Dispose();
        }

        _listener.Stop();
    }

    [Fact]
    public async Task Return_RacingSweeps_EveryConnectionPooledOrClosed()
    {
        // Regression: a sweep removed a key's empty stack while a Return pushed onto it, and that
        // idle socket was never taken or closed again.
        var time = new FakeTimeProvider();
        using var pool = new LeanPool(time, TimeSpan.FromHours(1));
        var connections = new List<LeanConnection>();
        for (var i = 0; i < 200; i++)
        {
            connections.Add(await ConnectAsync(time));
        }

        var keys = new[] { "a", "b", "c", "d" };
        await Task.WhenAll(Enumerable.Range(0, 4).Select(worker => Task.Run(() =>
        {
            for (var round = 0; round < 50; round++)
            {
                var connection = connections[(worker * 50) + round];
                pool.Return(keys[round % keys.Length], connection);
                if (round % 5 == 0)
                {
                    // Every idle connection is now past its idle time: the next Return sweeps (and empties) the keys.
                    time.Advance(LeanPool.Idle);
                }

                pool.TryTake(keys[(round + worker) % keys.Length])?.Close();
            }
        })));

        var pooled = pool.IdleCount;
        var open = connections.Count(c => !c.Closed);
        Assert.Equal(pooled, open);
        pool.Dispose();
        Assert.All(connections, c => Assert.True(c.Closed));
    }

    [Fact]
    public async Task TryTake_PastIdleTime_ClosedNotReturned()
    {
        var time = new FakeTimeProvider();
        using var pool = new LeanPool(time, TimeSpan.FromHours(1));
        var connection = await ConnectAsync(time);
        pool.Return("k", connection);
        time.Advance(LeanPool.Idle);

        Assert.Null(pool.TryTake("k"));
        Assert.True(connection.Closed);
    }

    private async Task<LeanConnection> ConnectAsync(TimeProvider time)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var accept = _listener.AcceptSocketAsync();
        await socket.ConnectAsync((IPEndPoint)_listener.LocalEndpoint);
        _accepted.Add(await accept);
        return new LeanConnection(socket, (IPEndPoint)socket.RemoteEndPoint!, time.GetTimestamp());
    }
}
