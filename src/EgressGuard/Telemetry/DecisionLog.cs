using System.Threading.Channels;
using Microsoft.Extensions.Hosting;

namespace EgressGuard.Telemetry;

/// <summary>
/// Writes one JSON line per <see cref="ProxyExchange"/> to standard output or a file. The proxy
/// path only enqueues; a single background writer serialises, batches and flushes whenever the
/// queue drains, so a slow disk never stalls a connection. On shutdown the queue is drained
/// before the file is closed: no line is lost on a clean stop. Rotation, reopen (SIGHUP) and a
/// failing disk are handled by <see cref="LogFileSink"/>.
/// </summary>
internal sealed partial class DecisionLog : BackgroundService
{
    private readonly Channel<object> _queue;
    private long _queueDropped;

    private readonly string? _path;
    private readonly ILogger<DecisionLog> _logger;

    /// <summary>The logger category decision lines are emitted under for OpenTelemetry.</summary>
    public const string OtelCategory = "EgressGuard.Decisions";

    private readonly RecentDecisions _recent;
    private readonly string? _accessLogPath;
    private readonly ILogger? _otel;
    private readonly long _maxBytes;
    private readonly int _keep;
    private readonly UnixFileMode _fileMode;
    private readonly TimeProvider _time;
    private LogFileSink? _decisions;
    private LogFileSink? _access;

    private readonly string _node;

    public DecisionLog(IOptions<LogOptions> options, ConfigPaths paths, RecentDecisions recent, TelemetryOptions telemetry, NodeOptions node, TimeProvider time, ILoggerFactory loggerFactory, ILogger<DecisionLog> logger, EgressGuardMetrics metrics)
    {
        _node = node.Name;

        // Bounded: the proxy path never waits for the writer; past the capacity a line is dropped and counted.
        _queue = Channel.CreateBounded<object>(
            new BoundedChannelOptions(options.Value.QueueCapacity) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true, AllowSynchronousContinuations = false },
            _ => Interlocked.Increment(ref _queueDropped));
        metrics.ObserveLog(this);
        _maxBytes = options.Value.MaxFileBytes;
        _keep = options.Value.KeepFiles;
        _fileMode = options.Value.FileMode;
        _time = time;
        _recent = recent;
        _accessLogPath = string.IsNullOrEmpty(options.Value.AccessLogFile) ? null : paths.Resolve(options.Value.AccessLogFile);
        _otel = telemetry.IsEnabled ? loggerFactory.CreateLogger(OtelCategory) : null;
        _path = string.IsNullOrEmpty(options.Value.DecisionFile) ? null : paths.Resolve(options.Value.DecisionFile);
        _logger = logger;
    }

    public void Write(ProxyExchange exchange)
    {
        _recent.Add(exchange);
        _queue.Writer.TryWrite(exchange);
    }

    /// <summary>Writes a non-request event (audit, alert) as its own line in the same log.</summary>
    public void WriteEvent(LogEvent logEvent) => _queue.Writer.TryWrite(logEvent);

    public override Task StopAsync(CancellationToken cancellationToken)
    {
        _queue.Writer.TryComplete();
        return base.StopAsync(cancellationToken);
    }

    /// <summary>Reopens the log files before the next write (SIGHUP, after logrotate moved them).</summary>
    public void Reopen()
    {
        _decisions?.RequestReopen();
        _access?.RequestReopen();
    }

    /// <summary>Decision lines dropped: the queue was full (<see cref="QueueDropped"/>) or the file could not be written.</summary>
    public long Dropped => QueueDropped + FileDropped;

    /// <summary>Lines dropped because <c>Log:QueueCapacity</c> lines were already waiting for the writer.</summary>
    public long QueueDropped => Interlocked.Read(ref _queueDropped);

    /// <summary>Lines dropped because the file could not be written.</summary>
    public long FileDropped => _decisions?.Dropped ?? 0;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await using var decisions = _decisions = new LogFileSink(_path, _maxBytes, _keep, _time, _logger, _fileMode);
        await using var access = _access = _accessLogPath is null ? null : new LogFileSink(_accessLogPath, _maxBytes, _keep, _time, _logger, _fileMode);
        var batch = new System.Buffers.ArrayBufferWriter<byte>(64 * 1024);
        var accessBatch = new System.Text.StringBuilder();
        await using var json = new Utf8JsonWriter(batch, new JsonWriterOptions { SkipValidation = true });
        var reader = _queue.Reader;

        // Not bound to stoppingToken: StopAsync completes the channel and the loop drains it.
        while (await reader.WaitToReadAsync(CancellationToken.None).ConfigureAwait(false))
        {
            var lines = 0;
            batch.ResetWrittenCount();
            accessBatch.Clear();
            while (lines < 4096 && reader.TryRead(out var item))
            {
                json.Reset();
                if (item is ProxyExchange exchange)
                {
                    DecisionLogFormatter.Write(json, exchange, _node);
                    if (access is not null)
                    {
                        accessBatch.Append(SquidAccessLog.Format(exchange)).Append('\n');
                    }

                    _otel?.Log(LogLevel.Information, new EventId(101, "decision"), DecisionLogFormatter.Fields(exchange), null, static (fields, _) => DecisionLogFormatter.Summary(fields));
                }
                else
                {
                    ((LogEvent)item).Write(json);
                }

                json.Flush();
                batch.Write("\n"u8);
                lines++;
            }

            await decisions.WriteAsync(batch.WrittenMemory, lines).ConfigureAwait(false);
            if (access is not null && accessBatch.Length > 0)
            {
                await access.WriteAsync(System.Text.Encoding.UTF8.GetBytes(accessBatch.ToString()), lines).ConfigureAwait(false);
            }
        }
    }

}
