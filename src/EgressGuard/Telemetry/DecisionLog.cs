using System.Text.Json;
using System.Threading.Channels;
using EgressGuard.Hosting;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace EgressGuard.Telemetry;

/// <summary>
/// Writes one JSON line per <see cref="ProxyExchange"/> to standard output or a file. The proxy
/// path only enqueues; a single background writer serialises, batches and flushes whenever the
/// queue drains, so a slow disk never stalls a connection. On shutdown the queue is drained
/// before the file is closed: no line is lost on a clean stop.
/// </summary>
internal sealed partial class DecisionLog : BackgroundService
{
    private readonly Channel<object> _queue = Channel.CreateUnbounded<object>(
        new UnboundedChannelOptions { SingleReader = true, AllowSynchronousContinuations = false });

    private readonly string? _path;
    private readonly ILogger<DecisionLog> _logger;

    /// <summary>The logger category decision lines are emitted under for OpenTelemetry.</summary>
    public const string OtelCategory = "EgressGuard.Decisions";

    private readonly RecentDecisions _recent;
    private readonly string? _accessLogPath;
    private readonly ILogger? _otel;

    public DecisionLog(IOptions<LogOptions> options, ConfigPaths paths, RecentDecisions recent, TelemetryOptions telemetry, ILoggerFactory loggerFactory, ILogger<DecisionLog> logger)
    {
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

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await using var stream = _path is null
            ? Console.OpenStandardOutput()
            : new FileStream(_path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.Asynchronous);
        await using var buffered = new BufferedStream(stream, 64 * 1024);
        await using var json = new Utf8JsonWriter(buffered, new JsonWriterOptions { SkipValidation = true });
        await using var access = _accessLogPath is null ? null : new StreamWriter(new FileStream(_accessLogPath, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete), bufferSize: 64 * 1024);
        var reader = _queue.Reader;

        // Not bound to stoppingToken: StopAsync completes the channel and the loop drains it.
        while (await reader.WaitToReadAsync(CancellationToken.None).ConfigureAwait(false))
        {
            try
            {
                while (reader.TryRead(out var item))
                {
                    if (item is ProxyExchange exchange)
                    {
                        DecisionLogFormatter.Write(json, exchange);
                        if (access is not null)
                        {
                            await access.WriteLineAsync(SquidAccessLog.Format(exchange));
                        }

                        _otel?.Log(LogLevel.Information, new EventId(101, "decision"), DecisionLogFormatter.Fields(exchange), null, static (fields, _) => DecisionLogFormatter.Summary(fields));
                    }
                    else
                    {
                        ((LogEvent)item).Write(json);
                    }

                    await json.FlushAsync(CancellationToken.None).ConfigureAwait(false);
                    json.Reset();
                    buffered.WriteByte((byte)'\n');
                }

                await buffered.FlushAsync(CancellationToken.None).ConfigureAwait(false);
                if (access is not null)
                {
                    await access.FlushAsync(CancellationToken.None).ConfigureAwait(false);
                }
            }
            catch (IOException ex)
            {
                LogWriteFailed(_logger, _path ?? "stdout", ex);
                json.Reset();
            }
        }
    }

    [LoggerMessage(EventId = 100, Level = LogLevel.Error, Message = "Writing the decision log to {Path} failed")]
    private static partial void LogWriteFailed(ILogger logger, string path, Exception exception);
}
