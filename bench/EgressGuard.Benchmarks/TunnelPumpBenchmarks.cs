using System.Net;
using System.Net.Sockets;
using BenchmarkDotNet.Attributes;
using EgressGuard.Tunnels;

namespace EgressGuard.Benchmarks;

/// <summary>
/// One long-lived blind tunnel (<see cref="SocketTunnelPump"/>) over loopback, copy and splice: a
/// bulk upload and a 1 KiB ping-pong through it. The two ends are plain blocking sockets on the
/// benchmark thread (no allocation of their own), so the allocated column is the pump's per
/// steady-state read/write cost, every thread counted. A short run (under a minute):
/// <c>dotnet run -c Release --project bench/EgressGuard.Benchmarks -- --filter '*TunnelPump*' --inProcess --warmupCount 2 --iterationCount 5</c>.
/// </summary>
[MemoryDiagnoser]
public class TunnelPumpBenchmarks
{
    private const int Chunk = 64 * 1024;

    private readonly byte[] _chunk = new byte[Chunk];
    private readonly byte[] _sink = new byte[Chunk];
    private Socket _client = null!;
    private Socket _server = null!;
    private SocketTunnelPump _pump = null!;
    private Task _running = null!;

    [Params(false, true)]
    public bool Splice { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var (client, proxyClientSide) = Pair();
        var (proxyUpstreamSide, server) = Pair();
        _client = client;
        _server = server;

        // As in the proxy, where the head's read and the dial were asynchronous: non-blocking descriptors.
        proxyClientSide.Blocking = false;
        proxyUpstreamSide.Blocking = false;
        _pump = new SocketTunnelPump(proxyClientSide, proxyUpstreamSide, default, TimeSpan.FromHours(1), TimeProvider.System, Splice);
        _running = _pump.RunAsync();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _pump.Close("benchmark-end");
        _running.Wait(TimeSpan.FromSeconds(5));
        _client.Dispose();
        _server.Dispose();
    }

    /// <summary>256 KiB client → upstream, sent and drained in 64 KiB steps.</summary>
    [Benchmark(OperationsPerInvoke = 4)]
    public void Upload256KiB()
    {
        for (var i = 0; i < 4; i++)
        {
            _client.Send(_chunk);
            Drain(_server, Chunk);
        }
    }

    /// <summary>1 KiB up, 1 KiB back: one read and one write per direction at the pump.</summary>
    [Benchmark]
    public void PingPong1KiB()
    {
        _client.Send(_chunk.AsSpan(0, 1024));
        Drain(_server, 1024);
        _server.Send(_chunk.AsSpan(0, 1024));
        Drain(_client, 1024);
    }

    private void Drain(Socket socket, int count)
    {
        while (count > 0)
        {
            count -= socket.Receive(_sink.AsSpan(0, Math.Min(count, _sink.Length)));
        }
    }

    /// <summary>A connected loopback pair; both ends blocking, as they come.</summary>
    private static (Socket Connecting, Socket Accepted) Pair()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var connecting = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        connecting.Connect(listener.LocalEndPoint!);
        var accepted = listener.Accept();
        accepted.NoDelay = true;
        return (connecting, accepted);
    }
}
