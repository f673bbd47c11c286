using System.Net;
using System.Net.Sockets;
using EgressGuard.FunctionalTests.Infrastructure;
using EgressGuard.Tunnels;

namespace EgressGuard.FunctionalTests;

/// <summary>
/// A bulk direction's splice pipe grows (<c>Proxy:SplicePipeSize</c>) within the budget
/// (<c>Proxy:SplicePipeBudget</c>), on real pipes and real loopback sockets; Linux only, as splice.
/// </summary>
public sealed class SplicePipeGrowthTests
{
    private const int Mib = 1 << 20;

    [Fact]
    public void TryGrow_BudgetAllows_GrownKeptForTheNextBulkRoundBudgetBackOnClose()
    {
        if (!CanGrow)
        {
            return;
        }

        var growth = new SpliceGrowth(Mib, 4L * Mib);
        var pipe = SplicePipe.TryCreate()!;
        var before = pipe.Capacity;
        Assert.True(before < Mib, $"a new pipe has the kernel's default capacity, not {before}");

        Assert.True(pipe.TryGrow(growth));
        Assert.Equal(Mib, pipe.Capacity);
        Assert.Equal(Mib - before, growth.Taken);
        Assert.False(pipe.TryGrow(growth)); // once per pipe

        // Back empty: kept by its growth (not the default pool), budget still taken, and handed to
        // the next bulk direction.
        SplicePipe.Return(pipe, empty: true);
        Assert.Equal((1, Mib - before), (growth.Idle, growth.Taken));
        var again = SplicePipe.Rent(growth);
        Assert.Same(pipe, again);
        Assert.Equal(0, growth.Idle);

        // Back with bytes in it: closed, budget given back.
        SplicePipe.Return(again!, empty: false);
        Assert.Equal((0, 0L), (growth.Idle, growth.Taken));
        Assert.Equal(-1, pipe.ReadEnd);
    }

    [Fact]
    public void TryGrow_BudgetSpent_KeepsTheDefaultCapacity()
    {
        if (!CanGrow)
        {
            return;
        }

        var growth = new SpliceGrowth(Mib, Mib); // room for one grown pipe
        using var first = SplicePipe.TryCreate()!;
        using var second = SplicePipe.TryCreate()!;
        Assert.True(first.TryGrow(growth));
        var capacity = second.Capacity;
        Assert.False(second.TryGrow(growth));
        Assert.Equal(capacity, second.Capacity);

        first.Dispose();
        Assert.Equal(0, growth.Taken);
        Assert.False(second.TryGrow(growth)); // tried once; the budget coming back later does not change that
    }

    [Fact]
    public void TryGrow_BudgetHeldByAnIdleGrownPipe_ThatOneClosedAndThisOneGrows()
    {
        if (!CanGrow)
        {
            return;
        }

        var growth = new SpliceGrowth(Mib, Mib);
        var idle = SplicePipe.TryCreate()!;
        Assert.True(idle.TryGrow(growth));
        SplicePipe.Return(idle, empty: true);
        Assert.Equal(1, growth.Idle);

        // A direction moving bytes needs the budget more than a pipe kept for a bulk round to come.
        using var busy = SplicePipe.TryCreate()!;
        var before = busy.Capacity;
        Assert.True(busy.TryGrow(growth));
        Assert.Equal((0, Mib - before), (growth.Idle, growth.Taken));
        Assert.Equal(-1, idle.ReadEnd);
    }

    [Fact]
    public void Dispose_IdleGrownPipes_ClosedAndBudgetBack()
    {
        if (!CanGrow)
        {
            return;
        }

        var growth = new SpliceGrowth(Mib, 4L * Mib);
        var pipe = SplicePipe.TryCreate()!;
        Assert.True(pipe.TryGrow(growth));
        SplicePipe.Return(pipe, empty: true);

        growth.Dispose(); // the host stopping
        Assert.Equal((0, 0L, -1), (growth.Idle, growth.Taken, pipe.ReadEnd));
    }

    [Fact]
    public void Ctor_SizeNotAPowerOfTwo_RoundedUpAsTheKernelWillGrantIt()
    {
        Assert.Equal(131072, new SpliceGrowth(100_000, Mib).Size);
        Assert.Equal(Mib, new SpliceGrowth(Mib, Mib).Size);
        Assert.Equal(65536, new SpliceGrowth(65536, Mib).Size); // never grows
    }

    [Fact]
    public async Task Move_BulkThroughAGrowingPipe_ByteExactAndGrown()
    {
        if (!CanGrow)
        {
            return;
        }

        var (senderOut, proxyIn) = await PairAsync();
        var (proxyOut, receiverIn) = await PairAsync();
        using (senderOut)
        using (proxyIn)
        using (proxyOut)
        using (receiverIn)
        {
            var payload = new byte[6 * Mib + 123];
            new Random(5).NextBytes(payload);
            var growth = new SpliceGrowth(Mib, 8L * Mib);
            var pipe = SplicePipe.TryCreate()!;
            var direction = new SpliceDirection(proxyIn.SafeHandle, proxyOut.SafeHandle, pipe, growth);

            var send = Task.Run(async () =>
            {
                await senderOut.SendAsync(payload, SocketFlags.None);
                senderOut.Shutdown(SocketShutdown.Send);
            });
            var received = new MemoryStream();
            var receive = Task.Run(async () =>
            {
                var buffer = new byte[256 * 1024];
                int read;
                while ((read = await receiverIn.ReceiveAsync(buffer, SocketFlags.None)) > 0)
                {
                    received.Write(buffer, 0, read);
                }
            });

            // The relay's loop without the pump around it: wait, move, until the sender's FIN.
            var grown = false;
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (true)
            {
                Assert.True(DateTime.UtcNow < deadline, "the relay did not finish in 30 s");
                var step = direction.Move();
                grown |= pipe.Grown;
                if (step == SpliceStep.End)
                {
                    break;
                }

                Assert.True(step is SpliceStep.Drained or SpliceStep.Budget or SpliceStep.OutputFull, $"step {step}");
                if (step == SpliceStep.Drained)
                {
                    await proxyIn.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None);
                }
                else if (step == SpliceStep.OutputFull)
                {
                    await Task.Delay(1);
                }
            }

            proxyOut.Shutdown(SocketShutdown.Send);
            await send.WaitAsync(TimeSpan.FromSeconds(30));
            await receive.WaitAsync(TimeSpan.FromSeconds(30));
            SplicePipe.Return(pipe, direction.Pending == 0);

            Assert.True(grown, "a bulk direction's pipe grows");
            Assert.Equal(payload.Length, direction.Total);
            Assert.True(payload.AsSpan().SequenceEqual(received.ToArray()), "byte-exact");
            Assert.Equal(1, growth.Idle); // kept, empty, for the next bulk round
            SplicePipe.Rent(growth)!.Dispose();
            Assert.Equal(0, growth.Taken);
        }
    }

    [Fact]
    public async Task RunAsync_TunnelGoesQuiet_PipesParkedThenTakenAgain()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        using var tunnel = await PumpedTunnel.StartAsync();
        var (client, server, pump, growth) = (tunnel.Client, tunnel.Server, tunnel.Pump, tunnel.Growth);
        var run = tunnel.Run;

        // Both ways, three times, with quiet in between: a quiet tunnel holds no pipe, and the
        // next bytes take one again.
        for (var round = 0; round < 3; round++)
        {
            var up = RandomBytes(100_000, round);
            await client.SendAsync(up, SocketFlags.None);
            var arrived = await ReceiveExactlyAsync(server, up.Length);
            Assert.True(up.AsSpan().SequenceEqual(arrived), "up byte-exact");
            var down = RandomBytes(70_000, round + 10);
            await server.SendAsync(down, SocketFlags.None);
            arrived = await ReceiveExactlyAsync(client, down.Length);
            Assert.True(down.AsSpan().SequenceEqual(arrived), "down byte-exact");
            await Eventually.UntilAsync(() => pump.PipesHeld == 0, "both directions parked their pipes");
        }

        client.Shutdown(SocketShutdown.Send);
        server.Shutdown(SocketShutdown.Send);
        var result = await run.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal((300_000L, 210_000L, "splice"), (result.BytesUp, result.BytesDown, result.Relay));
        Assert.Equal(0, pump.PipesHeld);
        Assert.True(growth.Taken <= 8L * Mib);
    }

    [Fact]
    public async Task RunAsync_ReceiverLagsThenTunnelGoesQuiet_PipesParked()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        using var tunnel = await PumpedTunnel.StartAsync();
        var (client, server, pump, growth) = (tunnel.Client, tunnel.Server, tunnel.Pump, tunnel.Growth);
        var run = tunnel.Run;

        // More than the socket buffers hold, to a receiver that reads only later: the relay
        // meets a full receiver, then the sender goes quiet. The pipe must not stay held.
        var up = RandomBytes(4 * Mib, 3);
        var send = client.SendAsync(up, SocketFlags.None);
        await Task.Delay(500);
        var arrived = await ReceiveExactlyAsync(server, up.Length);
        await send;
        Assert.True(up.AsSpan().SequenceEqual(arrived), "byte-exact");
        await Eventually.UntilAsync(() => pump.PipesHeld == 0, "the quiet direction parked its pipe");

        client.Shutdown(SocketShutdown.Send);
        server.Shutdown(SocketShutdown.Send);
        var result = await run.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal((4L * Mib, 0L), (result.BytesUp, result.BytesDown));
    }

    /// <summary>A spliced pump between two loopback socket pairs: Client ↔ pump ↔ Server.</summary>
    private sealed class PumpedTunnel : IDisposable
    {
        private readonly Socket[] _sockets;

        private PumpedTunnel(Socket client, Socket proxyClient, Socket proxyUpstream, Socket server)
        {
            _sockets = [client, proxyClient, proxyUpstream, server];
            Client = client;
            Server = server;
            Growth = new SpliceGrowth(Mib, 8L * Mib);
            Pump = new SocketTunnelPump(proxyClient, proxyUpstream, default, TimeSpan.FromMinutes(1), TimeProvider.System, splice: true, Growth);
            Run = Pump.RunAsync();
        }

        public Socket Client { get; }

        public Socket Server { get; }

        public SpliceGrowth Growth { get; }

        public SocketTunnelPump Pump { get; }

        public Task<TunnelResult> Run { get; }

        public static async Task<PumpedTunnel> StartAsync()
        {
            var (client, proxyClient) = await PairAsync();
            var (proxyUpstream, server) = await PairAsync();
            return new PumpedTunnel(client, proxyClient, proxyUpstream, server);
        }

        public void Dispose()
        {
            Pump.Dispose();
            foreach (var socket in _sockets)
            {
                socket.Dispose();
            }

            Growth.Dispose();
        }
    }

    /// <summary>Linux with 4 KiB pages and a pipe-max-size of at least 1 MiB, where these tests' sizes hold.</summary>
    private static bool CanGrow =>
        OperatingSystem.IsLinux() && Environment.SystemPageSize == 4096
        && long.TryParse(File.ReadAllText("/proc/sys/fs/pipe-max-size").Trim(), out var max) && max >= Mib;

    private static byte[] RandomBytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static async Task<byte[]> ReceiveExactlyAsync(Socket socket, int length)
    {
        var bytes = new byte[length];
        var read = 0;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (read < length)
        {
            var n = await socket.ReceiveAsync(bytes.AsMemory(read), SocketFlags.None, timeout.Token);
            Assert.True(n > 0, "closed early");
            read += n;
        }

        return bytes;
    }

    private static async Task<(Socket Client, Socket Server)> PairAsync()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var accept = listener.AcceptAsync();
        await client.ConnectAsync(listener.LocalEndPoint!);
        var server = await accept;
        // .NET makes sockets non-blocking on Linux once they are used asynchronously; splice needs it.
        client.Blocking = false;
        server.Blocking = false;
        return (client, server);
    }
}
