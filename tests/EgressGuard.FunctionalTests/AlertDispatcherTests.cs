using System.Diagnostics.Metrics;
using System.Net;
using EgressGuard.Alerts;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace EgressGuard.FunctionalTests;

/// <summary>The dispatcher keeps delivering whatever a sink throws.</summary>
public sealed class AlertDispatcherTests
{
    private sealed class FlakySink : IAlertSink
    {
        public int Calls;
        public readonly TaskCompletionSource<string> Delivered = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public string Name => "flaky";

        public Task<DeliveryResult> SendAsync(Alert alert, CancellationToken cancellationToken)
        {
            if (Interlocked.Increment(ref Calls) == 1)
            {
                throw new InvalidOperationException("sink bug");
            }

            Delivered.TrySetResult(alert.Id);
            return Task.FromResult(DeliveryResult.Ok);
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    private static Alert NewAlert(string id) => new()
    {
        Id = id,
        Kind = "threat-feed",
        SourceAddress = IPAddress.Loopback,
        Destination = "c2.test",
        FirstSeen = DateTimeOffset.UtcNow,
        LastSeen = DateTimeOffset.UtcNow,
    };

    [Fact]
    public async Task SinkThrowsUnexpectedly_FailureCounted_NextAlertStillDelivered()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var sink = new FlakySink();
        using var dispatcher = new AlertDispatcher(new AlertOptions(), [sink], TimeProvider.System, new AlertMetrics(services.GetRequiredService<IMeterFactory>()), NullLogger<AlertDispatcher>.Instance);
        await dispatcher.StartAsync(CancellationToken.None);

        dispatcher.Enqueue(NewAlert("a-1"));
        dispatcher.Enqueue(NewAlert("a-2"));

        Assert.Equal("a-2", await sink.Delivered.Task.WaitAsync(TimeSpan.FromSeconds(10)));

        // The sink signals from inside its send; the dispatcher counts the delivery just after it returns.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while (Assert.Single(dispatcher.Status).Delivered < 1 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
        }

        var status = Assert.Single(dispatcher.Status);
        Assert.Equal((1L, 1L), (status.Delivered, status.Failures));
        Assert.Equal("sink bug", status.LastError);
        await dispatcher.StopAsync(CancellationToken.None);
    }
}
