using System.Net;
using System.Net.Sockets;
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
    public void TryGrow_BudgetAllows_CapacityGrownAndBudgetBackOnClose()
    {
        if (!OperatingSystem.IsLinux())
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

        // A grown pipe is closed on return, not pooled, and gives its share back.
        SplicePipe.Return(pipe, empty: true);
        Assert.Equal(0, growth.Taken);
        Assert.Equal(-1, pipe.ReadEnd);
    }

    [Fact]
    public void TryGrow_BudgetSpent_KeepsTheDefaultCapacity()
    {
        if (!OperatingSystem.IsLinux())
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
    public async Task Move_BulkThroughAGrowingPipe_ByteExactAndGrown()
    {
        if (!OperatingSystem.IsLinux())
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
            Assert.Equal(0, growth.Taken);
        }
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
