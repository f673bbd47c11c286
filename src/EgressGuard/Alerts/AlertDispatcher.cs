using System.Threading.Channels;

namespace EgressGuard.Alerts;

/// <summary>
/// Delivers new alerts to every configured sink, off the proxy path: each sink has its own bounded
/// queue and worker, so a dead webhook delays nobody else and never blocks a proxied request. A full
/// queue drops the newest alert and counts it. Failed attempts are retried with exponential backoff
/// (1 s, 2 s, 4 s… at most 60 s apart, <see cref="AlertOptions.MaxAttempts"/> in all).
/// </summary>
internal sealed partial class AlertDispatcher : BackgroundService
{
    private readonly AlertOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<AlertDispatcher> _logger;
    private readonly List<(IAlertSink Sink, Channel<Alert> Queue, SinkStatus Status)> _sinks = [];
    private readonly AlertMetrics _metrics;

    public AlertDispatcher(AlertOptions options, IEnumerable<IAlertSink> sinks, TimeProvider time, AlertMetrics metrics, ILogger<AlertDispatcher> logger)
    {
        _options = options;
        _time = time;
        _logger = logger;
        _metrics = metrics;
        foreach (var sink in sinks)
        {
            var status = new SinkStatus(sink.Name);
            var queue = Channel.CreateBounded<Alert>(
                new BoundedChannelOptions(options.QueueCapacity) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true },
                _ =>
                {
                    // DropWrite: the queue is full, this (newest) alert is not delivered to this sink.
                    status.Dropped();
                    _metrics.Delivery(sink.Name, "dropped");
                });
            _sinks.Add((sink, queue, status));
        }

        metrics.ObserveSinks(() => _sinks.Select(s => s.Status));
    }

    public IReadOnlyList<SinkStatus> Status => _sinks.Select(s => s.Status).ToList();

    public void Enqueue(Alert alert)
    {
        foreach (var (_, queue, _) in _sinks)
        {
            queue.Writer.TryWrite(alert);
        }
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(_sinks.Select(s => RunAsync(s.Sink, s.Queue.Reader, s.Status, stoppingToken)));

    private async Task RunAsync(IAlertSink sink, ChannelReader<Alert> queue, SinkStatus status, CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var alert in queue.ReadAllAsync(stoppingToken).ConfigureAwait(false))
            {
                try
                {
                    await DeliverAsync(sink, alert, status, stoppingToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // A sink's surprise must never stop the others, let alone the host.
                    status.Failed(_time.GetUtcNow(), ex.Message);
                    _metrics.Delivery(sink.Name, "failed");
                    LogGaveUp(_logger, alert.Id, sink.Name, 0, ex.Message);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task DeliverAsync(IAlertSink sink, Alert alert, SinkStatus status, CancellationToken stoppingToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var result = await sink.SendAsync(alert, stoppingToken).ConfigureAwait(false);
            if (result.Delivered)
            {
                status.Succeeded(_time.GetUtcNow());
                _metrics.Delivery(sink.Name, "delivered");
                if (attempt > 1)
                {
                    LogDeliveredAfterRetry(_logger, alert.Id, sink.Name, attempt);
                }

                return;
            }

            status.Failed(_time.GetUtcNow(), result.Error ?? "failed");
            if (result.Permanent || attempt >= _options.MaxAttempts)
            {
                _metrics.Delivery(sink.Name, "failed");
                LogGaveUp(_logger, alert.Id, sink.Name, attempt, result.Error);
                return;
            }

            var delay = TimeSpan.FromSeconds(Math.Min(60, Math.Pow(2, attempt - 1)));
            LogRetry(_logger, alert.Id, sink.Name, attempt, result.Error, delay);
            await Task.Delay(delay, _time, stoppingToken).ConfigureAwait(false);
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        foreach (var (sink, _, _) in _sinks)
        {
            await sink.DisposeAsync().ConfigureAwait(false);
        }
    }

    [LoggerMessage(EventId = 910, Level = LogLevel.Warning, Message = "Alert {AlertId} to {Sink}: attempt {Attempt} failed ({Error}); retrying in {Delay}")]
    private static partial void LogRetry(ILogger logger, string alertId, string sink, int attempt, string? error, TimeSpan delay);

    [LoggerMessage(EventId = 911, Level = LogLevel.Error, Message = "Alert {AlertId} NOT delivered to {Sink} after {Attempts} attempt(s): {Error}")]
    private static partial void LogGaveUp(ILogger logger, string alertId, string sink, int attempts, string? error);

    [LoggerMessage(EventId = 912, Level = LogLevel.Information, Message = "Alert {AlertId} delivered to {Sink} at attempt {Attempt}")]
    private static partial void LogDeliveredAfterRetry(ILogger logger, string alertId, string sink, int attempt);
}
